"""Ad spend for the analytics benchmark's organization (issue 18's performance target: the
Ads report and the correlation on 500 ads x 4 platforms x 13 months, about 730,000 daily
rows, beside the generated 1 M sessions).

Stored once, as the platforms would report it: Google campaigns named like the generated
sessions' `utm_campaign` (gads_001 …), Meta's (meta_001 …) and TikTok's (tiktok_001 …), so
the spend join reaches them by name, and LinkedIn campaigns that no session names
(unmapped spend). Figures are deterministic (a hash of ad and day), drawn from the same
ranges either way:

- by default with a few SQL statements (`SQL_ROWS`: every daily row in one INSERT, the
  monthly rollup filled by its trigger; names and their history in three more), about a
  minute on a quiet machine;
- with `python=True` through the importer's own upsert (`spend.store_rows`: metrics, names
  and their history) in batches, which is what an import runs but takes over 30 minutes
  at 400 rows/s on a busy machine. The figures differ from the SQL path's (blake2b here,
  md5 there); their ranges, ids, names and days are the same.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text

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


def _platforms_sql() -> str:
    return ", ".join(
        f"('{p.name}', '{p.account_id}', '{p.prefix}', {p.campaigns}, '{p.currency}')"
        for p in PLATFORMS
    )


def _figure_sql(key: str, low: int, high: int) -> str:
    """`_figure` in SQL: `low` + the first 32 bits of the key's md5 modulo the range."""
    return f"({low} + (('x' || left(md5({key}), 8))::bit(32)::bigint % {high - low + 1}))"


# Every ad of every platform on every day from :today - DAYS to :today - 1, as `rows_of`.
SQL_ROWS = f"""
WITH platform (name, account_id, prefix, campaigns, currency) AS (VALUES {_platforms_sql()}),
ad AS (
    SELECT p.*, n AS ad, 1 + n % p.campaigns AS campaign, left(p.name, 2) AS short
    FROM platform p, generate_series(0, {ADS_PER_PLATFORM - 1}) n
),
keyed AS (
    SELECT ad.*, d::date AS day, ad.name || ':' || ad.ad || ':' || d::date::text AS key
    FROM ad, generate_series(
        CAST(:today AS date) - {DAYS}, CAST(:today AS date) - 1, interval '1 day'
    ) d
),
figured AS (
    SELECT keyed.*, {_figure_sql("key || 'i'", 200, 20_000)} AS impressions FROM keyed
)
INSERT INTO campaign_metrics (organization_id, platform, account_id, ad_id, day, timezone,
    campaign_id, ad_set_id, spend, currency, impressions, clicks, video_3s_views,
    conversions, conversion_value, source, updated_at)
SELECT CAST(:organization_id AS uuid), name, account_id, short || 'a' || lpad(ad::text, 5, '0'),
    day, 'America/Sao_Paulo', short || lpad(campaign::text, 4, '0'),
    short || 's' || lpad(campaign::text, 3, '0') || (ad % 5),
    {_figure_sql("key", 500, 40_000)} / 100.0, currency, impressions,
    impressions / {_figure_sql("key || 'c'", 20, 80)},
    CASE WHEN name IN ('meta', 'tiktok') THEN impressions / 4 END,
    {_figure_sql("key || 'v'", 0, 6)}, {_figure_sql("key || 'w'", 0, 90_000)} / 100.0,
    'api', now()
FROM figured
"""
# The objects' names as `rows_of` gives them, and the names into their history.
_OBJECTS = f"""
WITH platform (name, account_id, prefix, campaigns, currency) AS (VALUES {_platforms_sql()}),
ad AS (
    SELECT p.*, n AS ad, 1 + n % p.campaigns AS campaign, left(p.name, 2) AS short
    FROM platform p, generate_series(0, {ADS_PER_PLATFORM - 1}) n
),
object AS (
    SELECT name AS platform, account_id, short || 'a' || lpad(ad::text, 5, '0') AS ad_id,
        short || 's' || lpad(campaign::text, 3, '0') || (ad % 5) AS ad_set_id,
        short || lpad(campaign::text, 4, '0') AS campaign_id,
        'Anúncio ' || lpad(ad::text, 3, '0') AS ad_name,
        'Conjunto ' || short || 's' || lpad(campaign::text, 3, '0') || (ad % 5) AS ad_set_name,
        prefix || '_' || lpad(campaign::text, 3, '0') AS campaign_name
    FROM ad
)
"""
SQL_NAMES = (
    _OBJECTS
    + """, campaigns AS (
    INSERT INTO ad_campaigns (organization_id, platform, account_id, campaign_id, name)
    SELECT DISTINCT CAST(:organization_id AS uuid), platform, account_id, campaign_id,
        campaign_name FROM object
    ON CONFLICT DO NOTHING
), ad_sets AS (
    INSERT INTO ad_sets (organization_id, platform, account_id, ad_set_id, campaign_id, name)
    SELECT DISTINCT CAST(:organization_id AS uuid), platform, account_id, ad_set_id,
        campaign_id, ad_set_name FROM object
    ON CONFLICT DO NOTHING
), ads AS (
    INSERT INTO ads (organization_id, platform, account_id, ad_id, ad_set_id, campaign_id, name)
    SELECT CAST(:organization_id AS uuid), platform, account_id, ad_id, ad_set_id, campaign_id,
        ad_name FROM object
    ON CONFLICT DO NOTHING
)
INSERT INTO ad_name_history (organization_id, platform, account_id, level, object_id, name_key,
    name)
SELECT DISTINCT CAST(:organization_id AS uuid), platform, account_id, level, object_id,
    lower(btrim(name)), name
FROM object, LATERAL (VALUES ('campaign', campaign_id, campaign_name),
    ('ad_set', ad_set_id, ad_set_name), ('ad', ad_id, ad_name)) AS named (level, object_id, name)
ON CONFLICT DO NOTHING
"""
)


async def ensure_spend(
    databases: Databases, organization_id: uuid.UUID, today: date, *, python: bool = False
) -> dict[str, Any]:
    """Store the spend unless it is there (with SQL, or through the importer's upsert when
    `python`); returns its row count and the seconds taken."""
    scope = Scope.organization(organization_id)
    expected = ADS_PER_PLATFORM * len(PLATFORMS) * DAYS
    async with databases.bi.transaction(scope) as bi:
        count = await bi.scalar(select(func.count()).select_from(CampaignMetric))
    if count == expected:
        return {"rows": count, "seconds": None}
    started = time.perf_counter()
    if not python:
        async with databases.bi.transaction(scope) as bi:
            await bi.execute(text("DELETE FROM campaign_metrics"))
            parameters = {"organization_id": str(organization_id), "today": today}
            await bi.execute(text(SQL_ROWS), parameters)
            await bi.execute(text(SQL_NAMES), parameters)
            count = await bi.scalar(select(func.count()).select_from(CampaignMetric))
        print("spend: stored with SQL", flush=True)
        return {"rows": count, "seconds": round(time.perf_counter() - started, 1), "sql": True}
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
