"""External services a credential can be for: default base URL and service-specific fields.

A credential's `api_key` and `api_secret` are always secret. Among its settings, a field
declared here says whether it is (`secret=True`); a setting not declared is secret when
its name says so (`SECRET_NAME`: `client_secret`, `access_token`, `password`…), so a
secret typed under a name of its own is never stored or shown in plain text either.
Secret settings are encrypted like the key and masked in every response
(rastro.auth.service.credentials).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SECRET_NAME = re.compile(r"secret|token|passw|private_?key|api_?key|signing", re.I)


@dataclass(frozen=True)
class SettingField:
    name: str
    label: str
    required: bool = False
    secret: bool = False


@dataclass(frozen=True)
class ServiceSpec:
    service: str
    label: str
    default_api_url: str | None
    needs_secret: bool = False
    settings_fields: tuple[SettingField, ...] = field(default_factory=tuple)

    def is_secret_setting(self, name: str) -> bool:
        """Whether the setting `name` is kept encrypted and masked."""
        for declared in self.settings_fields:
            if declared.name == name:
                return declared.secret
        return SECRET_NAME.search(name) is not None


# Only services something in Rastro uses are offered (payment gateways and e-mail senders
# come with the funnels and e-mail modules).
SERVICES: dict[str, ServiceSpec] = {
    spec.service: spec
    for spec in [
        # Offline conversions to Google (rastro.conversions.connectors.google): the API key
        # is an OAuth access token; the secret, the Ads API developer token (optional:
        # Google ignores it since 2026-09-09, and Data Manager never used it). With
        # `oauth_client_id` set (OAuth with refresh, rastro.core.oauth): the API key is the
        # refresh token, the secret the OAuth client secret, the developer token only the
        # setting; `oauth_token_uri` defaults to https://oauth2.googleapis.com/token.
        ServiceSpec(
            "google_ads",
            "Google Ads (Data Manager API or Google Ads API)",
            "https://googleads.googleapis.com",
            settings_fields=(
                SettingField("customer_id", "Customer ID", required=True),
                SettingField("login_customer_id", "Login customer ID (manager)"),
                SettingField("api", "API: data_manager (default) or ads"),
                SettingField("conversion_action_id", "Default conversion action ID"),
                SettingField(
                    "developer_token", "Developer token (Google Ads API only)", secret=True
                ),
                SettingField(
                    "oauth_client_id",
                    "OAuth client ID (API key = refresh token, secret = client secret)",
                ),
                SettingField("oauth_token_uri", "OAuth token URL (Google's when empty)"),
            ),
        ),
        ServiceSpec(
            "meta",
            "Meta Conversions API",
            "https://graph.facebook.com",
            settings_fields=(SettingField("pixel_id", "Pixel / dataset ID", required=True),),
        ),
        # The API key is a member access token; with `oauth_client_id` set, the refresh
        # token, and the secret the OAuth client secret (`oauth_token_uri` defaults to
        # https://www.linkedin.com/oauth/v2/accessToken).
        ServiceSpec(
            "linkedin",
            "LinkedIn Conversions API",
            "https://api.linkedin.com",
            settings_fields=(
                SettingField("conversion_rule_id", "Conversion rule ID"),
                SettingField("ad_account_id", "Ad account ID"),
                SettingField("api_version", "LinkedIn-Version (YYYYMM; 202601 when empty)"),
                SettingField(
                    "oauth_client_id",
                    "OAuth client ID (API key = refresh token, secret = client secret)",
                ),
                SettingField("oauth_token_uri", "OAuth token URL (LinkedIn's when empty)"),
            ),
        ),
        ServiceSpec(
            "tiktok",
            "TikTok Events API",
            "https://business-api.tiktok.com",
            settings_fields=(
                SettingField("pixel_code", "Pixel code", required=True),
                SettingField("event_set_id", "Event set ID (sends offline events when set)"),
                SettingField("event_source", "Event source (web, offline or crm)"),
                SettingField("advertiser_id", "Advertiser ID"),
            ),
        ),
        # Ad spend reporting (rastro.analytics.spend): a Meta token with ads_read (a
        # Conversions API credential with that permission works too), a TikTok Business
        # API (Marketing API) access token of an app with the Reporting scope.
        ServiceSpec(
            "meta_ads",
            "Meta Marketing API (ads reporting)",
            "https://graph.facebook.com",
            settings_fields=(SettingField("api_version", "Graph API version (v26.0 when empty)"),),
        ),
        ServiceSpec(
            "tiktok_ads",
            "TikTok Business API (ads reporting)",
            "https://business-api.tiktok.com",
        ),
        # An organization's own OAuth app on an ad platform, for "Connect" (the
        # authorization-code flow of rastro.conversions.service.connect): the API key is
        # the client (app) id, the secret the client secret; the API URL overrides the
        # platform's API (account lists, token exchange), the settings its OAuth pages.
        ServiceSpec(
            "google_oauth_app",
            "Google OAuth app (to connect Google Ads accounts)",
            "https://googleads.googleapis.com",
            needs_secret=True,
            settings_fields=(
                SettingField("developer_token", "Google Ads developer token", secret=True),
                SettingField("authorize_url", "Authorization URL (Google's when empty)"),
                SettingField("token_url", "Token URL (Google's when empty)"),
            ),
        ),
        ServiceSpec(
            "meta_oauth_app",
            "Meta app (to connect ad accounts and pixels)",
            "https://graph.facebook.com",
            needs_secret=True,
            settings_fields=(
                SettingField("authorize_url", "Authorization URL (Facebook's when empty)"),
            ),
        ),
        ServiceSpec(
            "linkedin_oauth_app",
            "LinkedIn app (to connect ad accounts)",
            "https://api.linkedin.com",
            needs_secret=True,
            settings_fields=(
                SettingField("authorize_url", "Authorization URL (LinkedIn's when empty)"),
                SettingField("token_url", "Token URL (LinkedIn's when empty)"),
            ),
        ),
        ServiceSpec(
            "tiktok_oauth_app",
            "TikTok for Business app (to connect advertisers)",
            "https://business-api.tiktok.com",
            needs_secret=True,
            settings_fields=(
                SettingField("authorize_url", "Authorization URL (TikTok's when empty)"),
            ),
        ),
        ServiceSpec("hubspot", "HubSpot", "https://api.hubapi.com", needs_secret=True),
        ServiceSpec(
            "salesforce",
            "Salesforce",
            None,
            needs_secret=True,
            settings_fields=(SettingField("instance_url", "Instance URL", required=True),),
        ),
        ServiceSpec("pipedrive", "Pipedrive", "https://api.pipedrive.com"),
        ServiceSpec("rdstation", "RD Station", "https://api.rd.services", needs_secret=True),
        # Payment gateways of the funnels' checkouts (rastro.funnels.payments.gateways).
        # PIX API: the PSP's API root (no default: each bank has its own), client id as
        # the key and client secret as the secret.
        ServiceSpec(
            "pix_api",
            "PIX API (Banco Central standard: Efí, Inter, Itaú, Sicredi…)",
            None,
            needs_secret=True,
            settings_fields=(
                SettingField("pix_key", "The receiver's PIX key", required=True),
                SettingField("token_url", "OAuth token URL (/oauth/token when empty)"),
            ),
        ),
        # The access token as the key; the webhook's secret signature as the secret.
        ServiceSpec("mercadopago", "Mercado Pago", "https://api.mercadopago.com"),
        ServiceSpec("pagarme", "Pagar.me (API v5)", "https://api.pagar.me"),
        # The API key as the key; the webhook's authentication token as the secret.
        ServiceSpec("asaas", "Asaas", "https://api.asaas.com"),
        # Checkout platforms' sale webhooks (rastro.funnels.payments.platforms): Hotmart's
        # hottok, Kiwify's webhook token, as the key.
        ServiceSpec("hotmart", "Hotmart (sales webhook, hottok)", None),
        ServiceSpec("kiwify", "Kiwify (sales webhook, token)", None),
        # Eduzz's signing key ("chave de acesso" of the webhook configuration).
        ServiceSpec("eduzz", "Eduzz (sales webhook, signing key)", None),
        # Shopify's app client secret (the webhooks' HMAC key).
        ServiceSpec("shopify", "Shopify (order webhooks, app client secret)", None),
        ServiceSpec("yampi", "Yampi (order webhooks, webhook secret)", None),
        ServiceSpec("perfectpay", "Perfect Pay (sales webhook, token)", None),
        ServiceSpec("cakto", "Cakto (sales webhook, secret)", None),
        # Rastro's own signed orders webhook for any other checkout: the HMAC secret.
        ServiceSpec("orders", "Orders webhook for any checkout (HMAC secret)", None),
        # The built-in static PIX: the PIX key as the key.
        ServiceSpec(
            "pix_static",
            "Static PIX (BR Code, confirmed by hand)",
            None,
            settings_fields=(
                SettingField("merchant_name", "Merchant name (≤ 25, no accents)", required=True),
                SettingField("merchant_city", "Merchant city (≤ 15, no accents)", required=True),
            ),
        ),
        ServiceSpec(
            "utmify",
            "UTMify",
            "https://api.utmify.com.br",
            settings_fields=(
                SettingField("platform_name", "Platform name sent with each order"),
                SettingField("payment_method", "Payment method (pix, credit_card, boleto, ...)"),
                SettingField("is_test", "Send orders as tests"),
            ),
        ),
        ServiceSpec("webhook", "Webhook (generic)", None, needs_secret=True),
        # Inbound CRM webhooks (rastro.integrations.inbound): what verifies a delivery.
        ServiceSpec("hubspot_webhook", "HubSpot webhooks in (app client secret)", None),
        ServiceSpec(
            "pipedrive_webhook",
            "Pipedrive webhooks in (basic-auth user and password)",
            None,
            needs_secret=True,
        ),
        ServiceSpec("rdstation_webhook", "RD Station CRM webhooks in (shared secret)", None),
        ServiceSpec("crm_webhook", "Generic CRM webhooks in (HMAC secret)", None),
        # The e-mail module's SMTP senders (rastro.email.senders.smtp): the API key is the
        # SMTP password.
        ServiceSpec(
            "smtp",
            "SMTP server (e-mail campaigns)",
            None,
            settings_fields=(
                SettingField("host", "Host", required=True),
                SettingField("port", "Port (587 STARTTLS, 465 TLS, 25)", required=True),
                SettingField("username", "Username"),
                SettingField("security", "starttls (default), ssl or none"),
            ),
        ),
        # The e-mail module's provider API senders (rastro.email.senders): the API key is
        # the provider's key (SES: the IAM access key id, with the secret access key as
        # the secret). `api_url` overrides the base URL (Mailgun's EU region:
        # https://api.eu.mailgun.net; SES: https://email.<region>.amazonaws.com).
        ServiceSpec(
            "ses",
            "Amazon SES (e-mail campaigns, API v2)",
            None,
            needs_secret=True,
            settings_fields=(
                SettingField("region", "Region (e.g. sa-east-1)", required=True),
                SettingField("configuration_set", "Configuration set (events to SNS)"),
            ),
        ),
        ServiceSpec("sendgrid", "SendGrid (e-mail campaigns, API key)", "https://api.sendgrid.com"),
        ServiceSpec(
            "postmark",
            "Postmark (e-mail campaigns, server token)",
            "https://api.postmarkapp.com",
            settings_fields=(
                SettingField("message_stream", "Message stream (broadcast when empty)"),
            ),
        ),
        ServiceSpec(
            "mailgun",
            "Mailgun (e-mail campaigns, API key)",
            "https://api.mailgun.net",
            settings_fields=(SettingField("domain", "Sending domain", required=True),),
        ),
        # What verifies the e-mail providers' event webhooks (rastro.email.providers):
        # SendGrid's Signed Event Webhook verification key (the base64 ECDSA public key
        # from Mail Settings) and Mailgun's HTTP webhook signing key, each as the API key.
        ServiceSpec("sendgrid_webhook", "SendGrid Event Webhook (verification key)", None),
        ServiceSpec("mailgun_webhook", "Mailgun webhooks (HTTP webhook signing key)", None),
        # A DKIM key of one sender domain (rastro.email.service.dkim): the API key is the
        # RSA private key (PEM), generated by Rastro; the public key is what DNS publishes.
        ServiceSpec(
            "dkim",
            "DKIM signing key (e-mail sender domain)",
            None,
            settings_fields=(
                SettingField("domain", "Domain", required=True),
                SettingField("selector", "Selector", required=True),
                SettingField("public_key", "Public key (base64 DER)", required=True),
            ),
        ),
    ]
}
