"""Writing spend rows (`campaign_metrics`, one per organization, platform, account, ad and
day) and keeping the names of their campaigns, ad sets and ads current.

The rows of one call go to PostgreSQL by COPY into a per-connection temporary table
(`spend_rows_incoming`, emptied at each commit) and from there into `campaign_metrics` in
one `INSERT … SELECT … ON CONFLICT DO UPDATE` (the table has row-level security, so COPY
cannot write it directly). COPY's rows are formatted by psycopg's C code and parsed by
PostgreSQL's COPY; the one JSON document per call it replaces cost both sides more
(bench/README.md, "Ad spend backfill", 2026-12-07 afternoon). The values shared by every
row (organization, platform, account, timezone, source, import) are parameters of the
INSERT, not columns of each row. The statement-level triggers on `campaign_metrics` (the
monthly rollup) see one statement per call, as before.

Names are upserted from the distinct campaigns, ad sets and ads of the call; a name row
whose values would not change is not updated (no new row version, nothing in the
combination-target triggers' transition tables), and a name's `last_seen_at` is moved at
most once a day.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics.spend.base import SpendRow


@dataclass(frozen=True)
class RowOrigin:
    """Where stored rows come from: the organization, platform (or CSV source), account,
    the account's timezone, and the import run."""

    organization_id: uuid.UUID
    platform: str
    account_id: str
    timezone: str
    import_id: uuid.UUID | None
    source: str  # api | csv


# The columns each row brings (in SpendRow's order), then those shared by the call.
ROW_COLUMNS = (
    "ad_id",
    "day",
    "campaign_id",
    "ad_set_id",
    "spend",
    "currency",
    "impressions",
    "reach",
    "clicks",
    "link_clicks",
    "video_plays",
    "video_3s_views",
    "thruplays",
    "conversions",
    "conversion_value",
    "attribution_setting",
)
SHARED_COLUMNS = ("organization_id", "platform", "account_id", "timezone", "source", "import_id")
_KEY = ("organization_id", "platform", "account_id", "ad_id", "day")
_UPDATED = tuple(c for c in (*SHARED_COLUMNS, *ROW_COLUMNS) if c not in _KEY)

STAGE = "spend_rows_incoming"
_CREATE_STAGE = text(
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} ("
    "ad_id varchar(64) NOT NULL, day date NOT NULL, campaign_id varchar(64) NOT NULL, "
    "ad_set_id varchar(64), spend numeric(18, 6) NOT NULL, currency varchar(3) NOT NULL, "
    "impressions bigint NOT NULL, reach bigint, clicks bigint NOT NULL, link_clicks bigint, "
    "video_plays bigint, video_3s_views bigint, thruplays bigint, "
    "conversions numeric(18, 4) NOT NULL, conversion_value numeric(18, 4) NOT NULL, "
    "attribution_setting text) ON COMMIT DELETE ROWS"
)
_COPY_STAGE = f"COPY {STAGE} ({', '.join(ROW_COLUMNS)}) FROM STDIN"
_UPSERT_METRICS = text(
    f"INSERT INTO campaign_metrics ({', '.join((*SHARED_COLUMNS, *ROW_COLUMNS))}, updated_at) "  # noqa: S608 (constants)
    "SELECT CAST(:organization_id AS uuid), :platform, :account_id, :timezone, :source, "
    f"CAST(:import_id AS uuid), {', '.join(ROW_COLUMNS)}, now() FROM {STAGE} "
    # Keys in a stable order: two imports of one account never wait on each other's locks.
    "ORDER BY ad_id, day "
    f"ON CONFLICT ({', '.join(_KEY)}) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _UPDATED)
    + ", updated_at = now()"
)
# The next call in the same transaction (a CSV upload's accounts) starts from no rows.
_EMPTY_STAGE = text(f"DELETE FROM {STAGE}")  # noqa: S608 (constant)


def _upsert_names(table: str, key: str, extra: tuple[str, ...]) -> Any:
    columns = ("organization_id", "platform", "account_id", key, *extra, "name")
    kept = (*extra, "name")
    new = ", ".join(f"COALESCE(EXCLUDED.{c}, {table}.{c})" for c in kept)
    return text(
        f"INSERT INTO {table} ({', '.join(columns)}, updated_at) "  # noqa: S608 (constants)
        f"SELECT {', '.join(columns)}, now() "
        f"FROM jsonb_populate_recordset(NULL::{table}, CAST(:rows AS jsonb)) "
        f"ON CONFLICT (organization_id, platform, account_id, {key}) DO UPDATE SET "
        + ", ".join(f"{c} = COALESCE(EXCLUDED.{c}, {table}.{c})" for c in kept)
        + ", updated_at = now() "
        # Unchanged: no new row version (updated_at is when the values last changed).
        f"WHERE ({', '.join(f'{table}.{c}' for c in kept)}) IS DISTINCT FROM ({new})"
    )


_UPSERT_CAMPAIGNS = _upsert_names("ad_campaigns", "campaign_id", ())
_UPSERT_AD_SETS = _upsert_names("ad_sets", "ad_set_id", ("campaign_id",))
_UPSERT_ADS = _upsert_names("ads", "ad_id", ("ad_set_id", "campaign_id"))
# Every name an object has had (the join to visits matches former names too); a name seen
# again is rewritten only when its spelling changed or it was last seen a day ago or more.
_UPSERT_NAME_HISTORY = text(
    "INSERT INTO ad_name_history (organization_id, platform, account_id, level, object_id, "
    "name_key, name, last_seen_at) "
    "SELECT organization_id, platform, account_id, level, object_id, lower(btrim(name)), "
    "name, now() FROM jsonb_populate_recordset(NULL::ad_name_history, CAST(:rows AS jsonb)) "
    "WHERE btrim(name) <> '' "
    "ON CONFLICT (organization_id, platform, account_id, level, object_id, name_key) "
    "DO UPDATE SET name = EXCLUDED.name, last_seen_at = now() "
    "WHERE ad_name_history.name IS DISTINCT FROM EXCLUDED.name "
    "OR ad_name_history.last_seen_at < now() - interval '1 day'"
)


def _dumps(rows: list[dict[str, Any]]) -> str:
    return orjson.dumps(rows).decode()


async def _copy_rows(bi: AsyncSession, rows: list[tuple[Any, ...]]) -> None:
    """COPY `rows` (ROW_COLUMNS' values) into the connection's staging table, created on
    the connection's first call."""
    await bi.execute(_CREATE_STAGE)
    connection = await (await bi.connection()).get_raw_connection()
    driver: Any = connection.driver_connection  # psycopg's AsyncConnection
    async with driver.cursor() as cursor, cursor.copy(_COPY_STAGE) as copy:
        for row in rows:
            await copy.write_row(row)


async def store_rows(bi: AsyncSession, origin: RowOrigin, rows: Sequence[SpendRow]) -> int:
    """Upsert the rows on their natural key (the same ad and day twice: the last wins) and
    keep the names current; returns how many distinct rows were written."""
    metrics: dict[tuple[str, date], tuple[Any, ...]] = {}
    campaigns: dict[str, str | None] = {}
    ad_sets: dict[str, tuple[str, str | None]] = {}
    ads: dict[str, tuple[str | None, str, str | None]] = {}
    for row in rows:
        metrics[(row.ad_id, row.day)] = (
            row.ad_id,
            row.day,
            row.campaign_id,
            row.ad_set_id,
            row.spend,
            row.currency,
            row.impressions,
            row.reach,
            row.clicks,
            row.link_clicks,
            row.video_plays,
            row.video_3s_views,
            row.thruplays,
            row.conversions,
            row.conversion_value,
            row.attribution_setting,
        )
        if row.campaign_id:
            campaigns[row.campaign_id] = row.campaign_name
        if row.ad_set_id:
            ad_sets[row.ad_set_id] = (row.campaign_id, row.ad_set_name)
        ads[row.ad_id] = (row.ad_set_id, row.campaign_id, row.ad_name)
    if not metrics:
        return 0
    await _copy_rows(bi, [metrics[key] for key in sorted(metrics)])
    await bi.execute(
        _UPSERT_METRICS,
        {
            "organization_id": str(origin.organization_id),
            "platform": origin.platform,
            "account_id": origin.account_id,
            "timezone": origin.timezone,
            "source": origin.source,
            "import_id": str(origin.import_id) if origin.import_id else None,
        },
    )
    await bi.execute(_EMPTY_STAGE)
    await _store_names(bi, origin, campaigns, ad_sets, ads)
    return len(metrics)


async def _store_names(
    bi: AsyncSession,
    origin: RowOrigin,
    campaigns: dict[str, str | None],
    ad_sets: dict[str, tuple[str, str | None]],
    ads: dict[str, tuple[str | None, str, str | None]],
) -> None:
    base = {
        "organization_id": str(origin.organization_id),
        "platform": origin.platform,
        "account_id": origin.account_id,
    }
    named = {
        "campaign": [
            {**base, "campaign_id": key, "name": campaigns[key]} for key in sorted(campaigns)
        ],
        "ad_set": [
            {**base, "ad_set_id": key, "campaign_id": ad_sets[key][0], "name": ad_sets[key][1]}
            for key in sorted(ad_sets)
        ],
        "ad": [
            {
                **base,
                "ad_id": key,
                "ad_set_id": ads[key][0],
                "campaign_id": ads[key][1],
                "name": ads[key][2],
            }
            for key in sorted(ads)
        ],
    }
    for statement, level in (
        (_UPSERT_CAMPAIGNS, "campaign"),
        (_UPSERT_AD_SETS, "ad_set"),
        (_UPSERT_ADS, "ad"),
    ):
        if named[level]:
            await bi.execute(statement, {"rows": _dumps(named[level])})
    history = [
        {**row, "level": level, "object_id": row[f"{level}_id"]}
        for level, listed in named.items()
        for row in listed
        if row["name"]
    ]
    if history:
        await bi.execute(_UPSERT_NAME_HISTORY, {"rows": _dumps(history)})
