"""Spend from a CSV file, for sources without an importer (Pinterest, Taboola, a
spreadsheet): a preview (columns, sample rows, a mapping guessed from the headers), then
the import with the mapping the user confirmed.

Every row is checked before anything is stored; any bad row refuses the whole file with
422 and the list of row errors (row number as in the file, column, reason): unknown
columns in the mapping, a missing day/spend/campaign, bad dates, numbers that are not
numbers, negative spend or counts, currencies that are not ISO 4217 codes. Each row keeps
its own currency (a currency column) or the one given for the file; nothing is summed
across currencies. The same key (source, account, ad, day) twice gives one row: the last
one, and the import's log says which rows were merged.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import spend_schemas as schemas
from rastro.analytics.ad_models import AdSpendImport
from rastro.analytics.service import spend
from rastro.analytics.spend.base import SpendRow
from rastro.core import uploads
from rastro.core.errors import UnprocessableEntity
from rastro.core.uploads import CsvTable

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_ROW_ERRORS = 100
SAMPLE_ROWS = 10
FIELDS: tuple[str, ...] = schemas.CsvField.__args__  # type: ignore[attr-defined]
REQUIRED = ("day", "spend")
COUNTS = (
    "impressions",
    "reach",
    "clicks",
    "link_clicks",
    "video_plays",
    "video_3s_views",
    "thruplays",
)
AMOUNTS = ("spend", "conversions", "conversion_value")
CURRENCY = re.compile(r"^[A-Z]{3}$")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y", "%d.%m.%Y")
# Header spellings (lower-cased, accents kept) → field, for the suggested mapping.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "day": ("day", "date", "data", "dia", "reporting starts", "início dos relatórios"),
    "spend": (
        "spend",
        "cost",
        "amount spent",
        "amount",
        "valor gasto",
        "gasto",
        "custo",
        "investimento",
    ),
    "currency": ("currency", "moeda", "currency code"),
    "account_id": ("account id", "account", "conta", "id da conta"),
    "campaign_id": ("campaign id", "id da campanha"),
    "campaign_name": ("campaign", "campaign name", "campanha", "nome da campanha"),
    "ad_set_id": ("ad set id", "ad group id", "id do conjunto de anúncios"),
    "ad_set_name": ("ad set", "ad set name", "ad group", "conjunto de anúncios"),
    "ad_id": ("ad id", "creative id", "id do anúncio"),
    "ad_name": ("ad", "ad name", "creative", "anúncio", "nome do anúncio"),
    "impressions": ("impressions", "impressões", "impressoes"),
    "reach": ("reach", "alcance"),
    "clicks": ("clicks", "cliques"),
    "link_clicks": ("link clicks", "cliques no link"),
    "video_plays": ("video plays", "reproduções de vídeo"),
    "video_3s_views": ("3-second video plays", "3-second views", "reproduções de 3 segundos"),
    "thruplays": ("thruplays", "thruplay", "completed views"),
    "conversions": ("conversions", "conversões", "purchases", "compras", "results", "resultados"),
    "conversion_value": ("conversion value", "valor de conversão", "purchase value", "revenue"),
}


def _invalid(message: str, details: list[dict[str, Any]]) -> UnprocessableEntity:
    return UnprocessableEntity(message, details=details)


def read_table(content: bytes) -> CsvTable:
    """The file's header and rows (`core.uploads.read_table` within this importer's limits)."""
    return uploads.read_table(content, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)


def suggested_mapping(columns: list[str]) -> dict[str, str]:
    """Field → column, for the headers that name a field in English or Portuguese."""
    mapping: dict[str, str] = {}
    for column in columns:
        name = re.sub(r"\s*\(.*\)$", "", column.strip().lower()).replace("_", " ")
        for target, spellings in SYNONYMS.items():
            if target not in mapping and name in spellings:
                mapping[target] = column
                break
    return mapping


def preview(content: bytes) -> schemas.CsvPreview:
    """The columns, the first rows and the guessed mapping of an uploaded CSV."""
    table = read_table(content)
    width = len(table.columns)
    return schemas.CsvPreview(
        columns=table.columns,
        sample_rows=[
            dict(zip(table.columns, (row + [""] * width)[:width], strict=True))
            for row in table.rows[:SAMPLE_ROWS]
        ],
        row_count=len(table.rows),
        delimiter=table.delimiter,
        suggested_mapping=suggested_mapping(table.columns),
        fields=list(FIELDS),
    )


def check_mapping(mapping: dict[str, str], columns: list[str], *, has_currency: bool) -> None:
    """422 for fields that do not exist, columns the file does not have, and a mapping
    without the required fields or a campaign."""
    problems: list[dict[str, Any]] = []
    for target, column in mapping.items():
        if target not in FIELDS:
            problems.append(
                {
                    "loc": f"body.mapping.{target}",
                    "message": f"one of {list(FIELDS)}",
                    "type": "unknown_field",
                }
            )
        if column not in columns:
            problems.append(
                {
                    "loc": f"body.mapping.{target}",
                    "message": f"unknown column {column!r}",
                    "type": "unknown_column",
                }
            )
    for required in REQUIRED:
        if required not in mapping:
            problems.append(
                {"loc": f"body.mapping.{required}", "message": "required", "type": "missing"}
            )
    if "campaign_id" not in mapping and "campaign_name" not in mapping:
        problems.append(
            {
                "loc": "body.mapping.campaign_id",
                "message": "campaign_id or campaign_name is required",
                "type": "missing",
            }
        )
    if "currency" not in mapping and not has_currency:
        problems.append(
            {
                "loc": "body.currency",
                "message": "a currency column or one currency for the file",
                "type": "missing",
            }
        )
    if problems:
        raise _invalid("The column mapping is not valid.", problems)


def _id(value: str) -> str:
    """An id or, for a name used as id, the name itself when short enough (else a hash)."""
    return value if len(value) <= 64 else "h:" + hashlib.sha256(value.encode()).hexdigest()[:40]


def _date(value: str) -> date | None:
    for form in DATE_FORMATS:
        try:
            return datetime.strptime(value, form).date()
        except ValueError:
            continue
    return None


def _number(value: str) -> Decimal | None:
    cleaned = value.replace(" ", "").replace("\u00a0", "")
    if "," in cleaned and "." in cleaned:  # 1.234,56 or 1,234.56: the last one is decimal
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


@dataclass(frozen=True)
class ParsedRow:
    line: int
    account_id: str
    row: SpendRow


def parse_rows(
    table: CsvTable, mapping: dict[str, str], *, currency: str | None, account_id: str
) -> list[ParsedRow]:
    """Every row as spend, or 422 with the row errors (at most `MAX_ROW_ERRORS`)."""
    index = {target: table.columns.index(column) for target, column in mapping.items()}
    parsed: list[ParsedRow] = []
    problems: list[dict[str, Any]] = []
    for offset, record in enumerate(table.rows):
        line = offset + 2  # the header is line 1
        cells = {t: (record[i].strip() if i < len(record) else "") for t, i in index.items()}

        def fail(target: str, message: str, line: int = line) -> None:
            problems.append(
                {"row": line, "column": mapping.get(target, target), "message": message}
            )

        day = _date(cells["day"]) if cells.get("day") else None
        if day is None:
            fail("day", "not a date (YYYY-MM-DD or DD/MM/YYYY)" if cells.get("day") else "required")
        numbers: dict[str, Decimal] = {}
        for target in (*AMOUNTS, *COUNTS):
            if not cells.get(target):
                continue
            number = _number(cells[target])
            if number is None:
                fail(target, "not a number")
            elif number < 0:
                fail(target, "negative")
            elif target in COUNTS and number != number.to_integral_value():
                fail(target, "not a whole number")
            else:
                numbers[target] = number
        if "spend" not in numbers and not cells.get("spend"):
            fail("spend", "required")
        row_currency = (cells.get("currency") or currency or "").upper()
        if not CURRENCY.match(row_currency):
            fail("currency", "not an ISO 4217 currency code")
        campaign_id = cells.get("campaign_id") or cells.get("campaign_name") or ""
        if not campaign_id:
            fail("campaign_id" if "campaign_id" in mapping else "campaign_name", "required")
        if len(problems) >= MAX_ROW_ERRORS:
            break
        if problems and problems[-1]["row"] == line:
            continue
        assert day is not None
        ad_set = cells.get("ad_set_id") or cells.get("ad_set_name") or None
        ad = cells.get("ad_id") or cells.get("ad_name") or ad_set or campaign_id

        def count(target: str, numbers: dict[str, Decimal] = numbers) -> int | None:
            return int(numbers[target]) if target in numbers else None

        parsed.append(
            ParsedRow(
                line=line,
                account_id=_id(cells.get("account_id") or account_id),
                row=SpendRow(
                    campaign_id=_id(campaign_id),
                    campaign_name=cells.get("campaign_name") or None,
                    ad_set_id=_id(ad_set) if ad_set else None,
                    ad_set_name=cells.get("ad_set_name") or None,
                    ad_id=_id(ad),
                    ad_name=cells.get("ad_name") or None,
                    day=day,
                    spend=numbers.get("spend", Decimal(0)),
                    currency=row_currency,
                    impressions=count("impressions") or 0,
                    reach=count("reach"),
                    clicks=count("clicks") or 0,
                    link_clicks=count("link_clicks"),
                    video_plays=count("video_plays"),
                    video_3s_views=count("video_3s_views"),
                    thruplays=count("thruplays"),
                    conversions=numbers.get("conversions", Decimal(0)),
                    conversion_value=numbers.get("conversion_value", Decimal(0)),
                    attribution_setting=None,
                ),
            )
        )
    if problems:
        raise _invalid(
            f"{len(problems)} row(s) are not valid; nothing was imported.",
            problems[:MAX_ROW_ERRORS],
        )
    if not parsed:
        raise _invalid("The file has no rows.", [{"loc": "body.file", "type": "csv"}])
    return parsed


async def import_csv(
    bi: AsyncSession,
    organization_id: uuid.UUID,
    content: bytes,
    *,
    mapping: dict[str, str],
    source: str,
    currency: str | None,
    account_id: str,
    timezone: str,
) -> AdSpendImport:
    """Check every row, then upsert them all and log the run (kind `csv`)."""
    table = read_table(content)
    check_mapping(mapping, table.columns, has_currency=currency is not None)
    parsed = parse_rows(table, mapping, currency=currency, account_id=account_id)
    run = await spend.create_import(
        bi,
        kind="csv",
        platform=source,
        account=None,
        date_from=min(p.row.day for p in parsed),
        date_to=max(p.row.day for p in parsed),
        status="running",
    )
    seen: dict[tuple[str, str, date], int] = {}
    merged: list[dict[str, Any]] = []
    by_account: dict[str, list[SpendRow]] = {}
    for item in parsed:
        key = (item.account_id, item.row.ad_id, item.row.day)
        if key in seen:
            merged.append(
                {
                    "row": item.line,
                    "message": f"same ad and day as row {seen[key]}: the later row is kept",
                }
            )
        seen[key] = item.line
        by_account.setdefault(item.account_id, []).append(item.row)
    rows = 0
    for account, account_rows in by_account.items():
        origin = spend.RowOrigin(
            organization_id=organization_id,
            platform=source,
            account_id=account,
            timezone=timezone,
            import_id=run.id,
            source="csv",
        )
        rows += await spend.store_rows(bi, origin, account_rows)
    run.account_id = next(iter(by_account)) if len(by_account) == 1 else None
    run.status = "succeeded"
    run.rows = rows
    run.errors = merged[:MAX_ROW_ERRORS]
    run.days_total = run.days_done = (
        (run.date_to - run.date_from).days + 1 if run.date_to and run.date_from else 0
    )
    run.started_at = run.finished_at = datetime.now().astimezone()
    run.duration_ms = 0
    await bi.flush()
    await bi.refresh(run)
    return run
