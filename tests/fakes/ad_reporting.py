"""What the ad-reporting fakes share: a deterministic catalogue of ads (campaigns, ad
sets, ads with names) and their daily figures, which tests restate (`version`) and rename
(`renamed`), and JSON answers written with orjson (a 13-month backfill is ~730k rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from starlette.responses import Response

from tests.fakes.crm_common import ScriptableFake


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


@dataclass
class AdCatalog:
    ads: int = 3
    ads_per_set: int = 2
    sets_per_campaign: int = 2
    id_base: int = 23850000000000
    version: int = 1  # bump to restate every figure
    renamed: dict[str, str] = field(default_factory=dict)  # campaign id → current name
    # Destinations the ads/creatives lookups serve, by ad id (absent: the defaults below;
    # None: no landing page / no parameters).
    landing: dict[str, str | None] = field(default_factory=dict)
    url_params: dict[str, str | None] = field(default_factory=dict)

    def ad_id(self, index: int) -> str:
        return str(self.id_base + 3000 + index)

    def ad_set_id(self, index: int) -> str:
        return str(self.id_base + 2000 + index // self.ads_per_set)

    def campaign_id(self, index: int) -> str:
        return str(self.id_base + 1000 + index // (self.ads_per_set * self.sets_per_campaign))

    def campaign_name(self, index: int) -> str:
        campaign = self.campaign_id(index)
        return self.renamed.get(campaign, f"Campaign {campaign[-3:]}")

    def landing_url(self, index: int) -> str | None:
        """Ad `index`'s landing page (a query parameter of its own by default)."""
        return self.landing.get(self.ad_id(index), f"https://shop.example.com/oferta?ref={index}")

    def params(self, index: int, default: str | None) -> str | None:
        """The parameters the platform appends to ad `index`'s URL (`default`: the fake's)."""
        return self.url_params.get(self.ad_id(index), default)

    def cents(self, index: int, day: date) -> int:
        """Spend in cents of ad `index` on `day` (restated figures differ)."""
        return ((index * 7919 + day.toordinal() * 104729) % 40000 + 500) * self.version

    def figures(self, index: int, day: date) -> dict[str, int]:
        cents = self.cents(index, day)
        impressions = cents * 3 + index
        return {
            "cents": cents,
            "impressions": impressions,
            "reach": impressions * 3 // 4,
            "clicks": impressions // 50,
            "link_clicks": impressions // 70,
            "plays": impressions // 5,
            "views_3s": impressions // 9,
            "completed": impressions // 40,
            "conversions": cents // 9000,
            "value_cents": (cents // 9000) * 19990,
        }


class ReportingFake(ScriptableFake):
    def __init__(self, catalog: AdCatalog | None = None) -> None:
        super().__init__(self._handle)
        self.catalog = catalog or AdCatalog()
        self.expired_tokens: set[str] = set()

    async def _handle(self, request: Any, recorded: Any) -> Response:
        raise NotImplementedError
