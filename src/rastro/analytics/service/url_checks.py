"""Each ad's destination URL checked for the tracking parameters the join needs (issue 18
part 6): read from the platform through the spend connector's optional `ad_urls`, stored
per ad (`ad_url_checks`, an account's checks replaced by each run) with what is missing.

The parameters an ad's click lands with are those of its landing URL, those the platform
appends (Meta `url_tags`, Google's `final_url_suffix`, TikTok's URL parameters) and, for a
Google tracking template that starts with `{lpurl}`, the template's own (a template that
redirects through another host is that host's business: its parameters are not counted).
- `utm_source`, `utm_medium` and a campaign (`utm_campaign` or `utm_id`) are required:
  without them a visit reaches no campaign (status `error`);
- `utm_content` is recommended: it carries the ad (status `warning`);
- Google: the gclid comes only from the account's auto-tagging (off: `gclid` missing,
  `error`). Meta and TikTok append their click ids (fbclid, ttclid) themselves; LinkedIn's
  li_fat_id is an account setting its API does not expose: not checked.
An ad with no landing URL (a lead form, a post without a link) is `no_url`.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import httpx
import structlog
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import health_schemas as schemas
from rastro.analytics.ad_models import Ad, AdAccount, AdCampaign
from rastro.analytics.health_models import AdUrlCheck
from rastro.analytics.service import spend, spend_import
from rastro.analytics.spend import CONNECTORS
from rastro.analytics.spend.base import AdUrl, ReportError
from rastro.core.db import Scope
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary

log = structlog.get_logger(__name__)

REQUIRED = ("utm_source", "utm_medium", "utm_campaign")
RECOMMENDED = ("utm_content",)
STATUS_ORDER = {"error": 0, "warning": 1, "no_url": 2, "ok": 3}


def _query_keys(text: str | None) -> set[str]:
    if not text:
        return set()
    query = urlsplit(text).query if "://" in text or text.startswith("{") else text
    if text.startswith("{lpurl}"):
        query = text.removeprefix("{lpurl}").lstrip("?&")
    return {key.strip().lower() for key, _ in parse_qsl(query, keep_blank_values=True) if key}


def analyse(ad: AdUrl, platform: str) -> tuple[list[str], list[str], str]:
    """The ad's parameters, the missing ones and its status."""
    if not ad.landing_url:
        return [], [], "no_url"
    found = _query_keys(ad.landing_url) | _query_keys(ad.url_suffix)
    template = (ad.tracking_template or "").strip()
    if template.startswith("{lpurl}"):
        found |= _query_keys(template)
    missing = [
        name
        for name in REQUIRED
        if name not in found and not (name == "utm_campaign" and "utm_id" in found)
    ]
    recommended = [name for name in RECOMMENDED if name not in found]
    if platform == "google" and ad.auto_tagging is False:
        missing.append("gclid")
    status = "error" if missing else "warning" if recommended else "ok"
    return sorted(found), [*missing, *recommended], status


async def store_checks(
    bi: AsyncSession,
    *,
    organization_id: uuid.UUID,
    platform: str,
    account_id: str,
    urls: list[AdUrl],
) -> int:
    """Replace the account's checks with these ads'; returns how many were stored."""
    await bi.execute(
        delete(AdUrlCheck).where(
            AdUrlCheck.platform == platform, AdUrlCheck.account_id == account_id
        )
    )
    now = datetime.now(UTC)
    seen: set[str] = set()
    for ad in urls:
        if not ad.ad_id or ad.ad_id in seen:
            continue
        seen.add(ad.ad_id)
        parameters, missing, status = analyse(ad, platform)
        bi.add(
            AdUrlCheck(
                organization_id=organization_id,
                platform=platform,
                account_id=account_id,
                ad_id=ad.ad_id,
                campaign_id=ad.campaign_id,
                landing_url=ad.landing_url,
                url_suffix=ad.url_suffix,
                tracking_template=ad.tracking_template,
                auto_tagging=ad.auto_tagging,
                parameters=parameters,
                missing=missing,
                status=status,
                checked_at=now,
            )
        )
    await bi.flush()
    return len(seen)


async def checkable_accounts(bi: AsyncSession) -> list[uuid.UUID]:
    """The organization's active ad accounts (every connector reads ad URLs)."""
    return list(
        await bi.scalars(
            select(AdAccount.id).where(AdAccount.is_active).order_by(AdAccount.created_at)
        )
    )


async def all_active_accounts(bi: AsyncSession) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(organization, account) of every active ad account (a system session)."""
    rows = await bi.execute(
        select(AdAccount.organization_id, AdAccount.id).where(AdAccount.is_active)
    )
    return [(row[0], row[1]) for row in rows]


async def run_account_check(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    keyring: Keyring,
    config: spend_import.ImportConfig,
    *,
    organization_id: uuid.UUID,
    ad_account_id: uuid.UUID,
) -> int | None:
    """Read one account's ads' URLs from its platform and store their checks; returns how
    many ads were checked (None: the account is gone or the platform refused)."""
    scope = Scope.organization(organization_id)
    async with bi.unit(scope) as session:
        account = await session.get(AdAccount, ad_account_id)
        if account is None:
            return None
        ref = spend.account_ref(account)
    connector = CONNECTORS[ref.platform]
    try:
        credential = await spend_import.resolve_account_credential(
            crm, keyring, scope, account, connector
        )
        async with spend_import.client_for(credential, config) as http:
            urls = await connector.ad_urls(ref, credential, http)
    except (spend_import.ImportFailed, ReportError, httpx.HTTPError) as error:
        log.warning(
            "analytics.url_check_failed",
            ad_account_id=str(ad_account_id),
            platform=ref.platform,
            error=type(error).__name__,
        )
        return None
    if urls is None:
        return None
    async with bi.unit(scope) as session:
        stored = await store_checks(
            session,
            organization_id=organization_id,
            platform=ref.platform,
            account_id=ref.account_id,
            urls=urls,
        )
    log.info("analytics.urls_checked", ad_account_id=str(ad_account_id), ads=stored)
    return stored


async def list_checks(bi: AsyncSession) -> schemas.AdUrlChecks:
    """The stored checks with the ads' and campaigns' current names, errors first."""
    checks = list(await bi.scalars(select(AdUrlCheck)))
    ads = {
        (a.platform, a.account_id, a.ad_id): a.name
        for a in await bi.scalars(select(Ad).where(Ad.ad_id.in_({c.ad_id for c in checks})))
    }
    campaigns = {
        (c.platform, c.account_id, c.campaign_id): c.name
        for c in await bi.scalars(select(AdCampaign))
    }
    items = [
        schemas.AdUrlCheck.model_validate(check).model_copy(
            update={
                "ad_name": ads.get((check.platform, check.account_id, check.ad_id)),
                "campaign_name": campaigns.get(
                    (check.platform, check.account_id, check.campaign_id or "")
                ),
            }
        )
        for check in checks
    ]
    items.sort(key=lambda c: (STATUS_ORDER.get(c.status, 9), c.platform, c.account_id, c.ad_id))
    return schemas.AdUrlChecks(checks=items, counts=dict(Counter(c.status for c in items)))
