"""Ad spend for the analytics benchmark's organization (issue 18's performance target: the
Ads report and the correlation on 500 ads x 4 platforms x 13 months, about 730,000 daily
rows, beside the generated 1 M sessions).

Stored once, through the importer's own upsert (`spend.store_rows`: metrics, names and
their history), as the platforms would report it: Google campaigns named like the
generated sessions' `utm_campaign` (gads_001 …), Meta's (meta_001 …) and TikTok's
(tiktok_001 …), so the spend join reaches them by name, and LinkedIn campaigns that no
session names (unmapped spend). Figures are deterministic (a hash of ad and day).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from rastro.analytics.ad_models import CampaignMetric
from rastro.analytics.service import spend
from rastro.analytics.spend.base import SpendRow
from rastro.core.db import Databases, Scope

ADS_PER_PLATFORM = 500
DAYS = 397  # 13 months
BATCH = 5000


@dataclass(frozen=True)
class Platform:
    name: str
    account_id: str
    prefix: str  # the campaign names' prefix (the generated sessions' utm_campaign)
    campaigns: int
    currency: str = "BRL"


PLATFORMS = (
    Platform("google", "1234567890", "gads", 60),
    Platform("meta", "act_1000", "meta", 40),
    Platform("tiktok", "7000000000000000001", "tiktok", 20),
    Platform("linkedin", "508000001", "li", 20),
)


def _figure(key: str, low: int, high: int) -> int:
    digest = hashlib.blake2b(key.encode(), digest_size=4).digest()
    return low + int.from_bytes(digest, "big") % (high - low + 1)


def rows_of(platform: Platform, day: date) -> list[SpendRow]:
    """The platform's rows of one day: one per ad."""
    rows = []
    for ad in range(ADS_PER_PLATFORM):
        campaign = 1 + ad % platform.campaigns
        ad_set = f"{platform.name[:2]}s{campaign:03d}{ad % 5}"
        key = f"{platform.name}:{ad}:{day.isoformat()}"
        cents = _figure(key, 500, 40_000)
        impressions = _figure(key + "i", 200, 20_000)
        rows.append(
            SpendRow(
                campaign_id=f"{platform.name[:2]}{campaign:04d}",
                campaign_name=f"{platform.prefix}_{campaign:03d}",
                ad_set_id=ad_set,
                ad_set_name=f"Conjunto {ad_set}",
                ad_id=f"{platform.name[:2]}a{ad:05d}",
                ad_name=f"Anúncio {ad:03d}",
                day=day,
                spend=Decimal(cents) / 100,
                currency=platform.currency,
                impressions=impressions,
                clicks=impressions // _figure(key + "c", 20, 80),
                video_3s_views=impressions // 4 if platform.name in ("meta", "tiktok") else None,
                conversions=Decimal(_figure(key + "v", 0, 6)),
                conversion_value=Decimal(_figure(key + "w", 0, 90_000)) / 100,
            )
        )
    return rows


async def ensure_spend(
    databases: Databases, organization_id: uuid.UUID, today: date
) -> dict[str, Any]:
    """Store the spend unless it is there; returns its row count and the seconds taken."""
    scope = Scope.organization(organization_id)
    expected = ADS_PER_PLATFORM * len(PLATFORMS) * DAYS
    async with databases.bi.transaction(scope) as bi:
        count = await bi.scalar(select(func.count()).select_from(CampaignMetric))
    if count == expected:
        return {"rows": count, "seconds": None}
    started = time.perf_counter()
    for platform in PLATFORMS:
        origin = spend.RowOrigin(
            organization_id=organization_id,
            platform=platform.name,
            account_id=platform.account_id,
            timezone="America/Sao_Paulo",
            import_id=None,
            source="api",
        )
        batch: list[SpendRow] = []
        for n in range(DAYS):
            batch.extend(rows_of(platform, today - timedelta(days=DAYS - n)))
            if len(batch) >= BATCH:
                async with databases.bi.transaction(scope) as bi:
                    await spend.store_rows(bi, origin, batch)
                batch = []
        if batch:
            async with databases.bi.transaction(scope) as bi:
                await spend.store_rows(bi, origin, batch)
        print(f"spend: {platform.name} stored", flush=True)
    async with databases.bi.transaction(scope) as bi:
        count = await bi.scalar(select(func.count()).select_from(CampaignMetric))
    return {"rows": count, "seconds": round(time.perf_counter() - started, 1)}
