"""The traffic mix of the generated site: where visits come from, which pages they land on,
which devices they use.

The source, medium and channel of each kind of touch are computed here by the collector's
own rules (`rastro.tracking.channels.resolve_touch`), so the generated rows say what the
collector would have stored for such a landing.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from rastro.tracking.channels import resolve_touch

ORIGIN = "https://loja.bench.example"


@dataclass(frozen=True)
class TouchKind:
    """One way of arriving: its share of first visits and of return visits, the UTMs and
    click id its links carry, its referrer, and how likely its visitors become leads."""

    name: str
    first_weight: float
    return_weight: float
    utm_source: str | None = None
    utm_medium: str | None = None
    click_id: str | None = None  # gclid, fbclid, ttclid or msclkid
    campaign_prefix: str | None = None
    campaigns: int = 0
    referrer: str | None = None
    conversion: float = 1.0  # relative chance that a journey ending here converts
    has_content: bool = False  # utm_content names the ad
    has_term: bool = False  # utm_term carries the keyword

    def resolved(self) -> tuple[str, str, str]:
        """(source, medium, channel) as the collector resolves this landing."""
        params = {
            key: value
            for key, value in (
                ("utm_source", self.utm_source),
                ("utm_medium", self.utm_medium),
                ("utm_campaign", f"{self.campaign_prefix}_001" if self.campaign_prefix else None),
                (self.click_id or "", "x" if self.click_id else None),
            )
            if value
        }
        host = urlsplit(self.referrer).hostname if self.referrer else None
        touch = resolve_touch(params, host, urlsplit(ORIGIN).hostname)
        return touch.source, touch.medium, touch.channel


KINDS: tuple[TouchKind, ...] = (
    TouchKind("google_ads", 24, 10, "google", "cpc", "gclid", "gads", 60, None, 1.6, False, True),
    TouchKind(
        "facebook_ads",
        14,
        6,
        "facebook",
        "paid_social",
        "fbclid",
        "meta",
        40,
        "https://l.facebook.com/",
        1.1,
        True,
    ),
    TouchKind("instagram_ads", 7, 3, "ig", "cpc", "fbclid", "meta", 40, None, 1.0, True),
    TouchKind("tiktok_ads", 5, 2, "tiktok", "paid", "ttclid", "tiktok", 20, None, 0.7, True),
    TouchKind("youtube_ads", 2, 1, "youtube", "cpc", None, "yt", 10, None, 0.6, True),
    TouchKind("bing_ads", 1, 0.5, "bing", "cpc", "msclkid", "bing", 10, None, 1.4, False, True),
    TouchKind("display", 2, 1, "google", "display", None, "gdn", 10, None, 0.4, True),
    TouchKind("newsletter", 5, 12, "newsletter", "email", None, "news", 25, None, 1.3),
    TouchKind("affiliates", 2, 1, "parceiro", "affiliate", None, "afiliado", 10, None, 1.0),
    TouchKind("sms", 1, 2, "sms", "sms", None, "sms", 10, None, 0.9),
    TouchKind("organic_search", 14, 12, referrer="https://www.google.com.br/", conversion=0.9),
    TouchKind("organic_social", 5, 4, referrer="https://l.instagram.com/", conversion=0.5),
    TouchKind("referral", 3, 3, referrer="https://blog.parceiro.com.br/post", conversion=0.8),
    TouchKind("direct", 12, 25, conversion=0.9),
)
DIRECT = len(KINDS)  # 1-based index of the direct kind (bots arrive there)

# (path, name, A/B variant, is control, weight as a landing page); a variant of None and a
# weight of 0 are pages seen later in a visit. Blog posts are not registered landing pages.
PAGES: tuple[tuple[str, str, str | None, bool, float], ...] = (
    ("/", "Início", None, False, 20),
    ("/oferta", "Oferta (A)", "A", True, 15),
    ("/oferta-b", "Oferta (B)", "B", False, 15),
    ("/produto/kit-verao", "Kit Verão", None, False, 15),
    ("/webinar", "Webinar", None, False, 15),
    ("/inscricao", "Inscrição", None, False, 10),
    ("/checkout", "Checkout", None, False, 0),
    ("/obrigado", "Obrigado", None, False, 0),
)
BLOG_POSTS = 40  # /blog/post-1 … : 10 % of landings, not registered
BLOG_LANDING_WEIGHT = 10
# The test's variant B converts this much better than its control A.
VARIANT_LIFT = 1.3

# (device, share of human visitors, user agent, browser, os, screen)
DEVICES: tuple[tuple[str, float, str, str, str, str], ...] = (
    (
        "mobile", 0.45,
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36",
        "Chrome Mobile", "Android", "412x915",
    ),
    (
        "mobile", 0.17,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Mobile Safari", "iOS", "390x844",
    ),
    (
        "desktop", 0.28,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        "Chrome", "Windows", "1920x1080",
    ),
    (
        "desktop", 0.05,
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4 Safari/605.1.15",
        "Safari", "Mac OS X", "1440x900",
    ),
    (
        "tablet", 0.05,
        "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4 Mobile/15E148 Safari/604.1",
        "Mobile Safari", "iOS", "820x1180",
    ),
)  # fmt: skip
BOT_AGENT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

# (event type, weight) of the interactions on a page; form_submit comes only with a lead.
INTERACTIONS: tuple[tuple[str, float], ...] = (
    ("scroll", 35),
    ("click", 33),
    ("video_play", 10),
    ("form_start", 9),
    ("download", 5),
    ("form_abandon", 5),
    ("custom", 3),
)
KEYWORDS = ("kit verao", "oferta verao", "comprar kit", "promocao", "frete gratis", "loja online")
