"""Request and response shapes of ad spend: ad accounts, import runs, spend rows, the CSV
upload (no ORM imports)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Platform = Literal["meta", "google", "tiktok", "linkedin"]
ImportKind = Literal["daily", "backfill", "csv"]
ImportStatus = Literal["queued", "running", "succeeded", "failed"]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
AccountId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[\w:.-]+$"),
]
ConversionType = Annotated[str, StringConstraints(min_length=1, max_length=120)]
SourceName = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9_]{2,20}$")
]


def check_timezone(value: str) -> str:
    """An IANA timezone name (422 otherwise)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError("an IANA timezone such as America/Sao_Paulo") from error
    return value


class AdAccountCreate(BaseModel):
    """An ad account to import spend from: the platform, its id there, the vault credential
    that reads its reports, its timezone (its days) and currency, and the conversion types
    counted as the platform's conversions (the platform's default when empty)."""

    platform: Platform
    account_id: AccountId
    name: Annotated[str, StringConstraints(max_length=255)] | None = None
    credential_id: uuid.UUID
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    currency: Currency
    conversion_types: list[ConversionType] = Field(default_factory=list, max_length=20)

    _timezone = field_validator("timezone")(check_timezone)


class AdAccount(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    platform: str
    account_id: str
    name: str | None
    credential_id: uuid.UUID
    timezone: str
    currency: str
    conversion_types: list[str]
    is_active: bool
    last_imported_at: datetime | None
    created_at: datetime
    last_run: SpendImport | None = Field(
        default=None, description="The account's newest import run (its status and errors)"
    )


class BackfillRequest(BaseModel):
    """How far back to import: `months` (1 to 13) before yesterday in the account's days."""

    months: Annotated[int, Field(ge=1, le=13)] = 13


class SpendImport(BaseModel):
    """One import run with its progress (days done of days)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ad_account_id: uuid.UUID | None
    platform: str
    account_id: str | None
    kind: str
    date_from: date | None
    date_to: date | None
    status: str
    rows: int
    errors: list[dict[str, object]]
    error: str | None
    days_total: int
    days_done: int
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    created_at: datetime


class SpendRow(BaseModel):
    """One ad's figures on one day of its account, with current names."""

    platform: str
    account_id: str
    campaign_id: str
    campaign_name: str | None
    ad_set_id: str | None
    ad_set_name: str | None
    ad_id: str
    ad_name: str | None
    day: date
    timezone: str
    spend: Decimal
    currency: str
    impressions: int
    reach: int | None
    clicks: int
    link_clicks: int | None
    video_plays: int | None
    video_3s_views: int | None
    thruplays: int | None
    conversions: Decimal
    conversion_value: Decimal
    attribution_setting: str | None
    source: str


CsvField = Literal[
    "day",
    "spend",
    "currency",
    "account_id",
    "campaign_id",
    "campaign_name",
    "ad_set_id",
    "ad_set_name",
    "ad_id",
    "ad_name",
    "impressions",
    "reach",
    "clicks",
    "link_clicks",
    "video_plays",
    "video_3s_views",
    "thruplays",
    "conversions",
    "conversion_value",
]


class CsvPreview(BaseModel):
    """A CSV's columns, its first rows and the mapping guessed from its headers."""

    columns: list[str]
    sample_rows: list[dict[str, str]]
    row_count: int
    delimiter: str
    suggested_mapping: dict[str, str]
    fields: list[str]


class CsvOptions(BaseModel):
    """The CSV import's form fields besides the file and the mapping."""

    source: SourceName
    currency: Currency | None
    account_id: AccountId
    timezone: str

    _timezone = field_validator("timezone")(check_timezone)
