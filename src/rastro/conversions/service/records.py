"""Offline conversions (seed 000 `offline_conversions`): created when a lead reaches
`won` (a pipeline listener, in the stage change's transaction) or through the API, one
per lead and conversion name; their delivery state per platform; the list, the detail
with its sync log, "retry now" and "send again".

At creation each platform with a connector gets a delivery state: `not_applicable` (no
account, or nothing the platform can match on), `expired` (the click is outside the
attribution window, or the platform's own age limit is past) or `pending`, and a sync
job is queued in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import accounts, credentials
from rastro.conversions.connectors import CONNECTORS
from rastro.conversions.connectors.base import Connector, ConversionRecord
from rastro.conversions.models import ConversionSync, OfflineConversion, PlatformSyncLog
from rastro.conversions.reasons import Reason, code_of
from rastro.conversions.service import clicks
from rastro.conversions.service import settings as conversion_settings
from rastro.core.errors import Conflict, NotFound, field_error
from rastro.core.ids import uuid7
from rastro.core.jobs import enqueue
from rastro.core.pagination import PageParams, paginate
from rastro.crm.schemas import LeadConversionFacts, LeadStageChanged
from rastro.crm.service import facts as lead_facts
from rastro.crm.service import pipeline, sales
from rastro.tracking.service.consent import ad_consent_denied

SYNC_TASK = "conversions:sync_organization"  # the `sync_organization` task of the namespace
SYNC_QUEUE = "conversions"
CLICK_ID_FIELDS = ("gclid", "gbraid", "wbraid", "fbclid", "fbc", "fbp", "ttclid", "li_fat_id")
_ALL_CLICK_IDS = (*CLICK_ID_FIELDS, "msclkid")


def record_of(
    conversion: OfflineConversion, lead: LeadConversionFacts | None, action: dict[str, Any]
) -> ConversionRecord:
    """What the connectors see of a conversion and its lead."""
    click_ids = {
        name: value for name in CLICK_ID_FIELDS if (value := getattr(conversion, name)) is not None
    }
    return ConversionRecord(
        conversion_id=conversion.conversion_id,
        order_id=conversion.order_id,
        conversion_name=conversion.conversion_name,
        conversion_date=conversion.conversion_date,
        value=conversion.conversion_value,
        currency=conversion.conversion_currency,
        clicked_at=conversion.clicked_at,
        click_ids=click_ids,
        email=lead.email if lead else None,
        phone=lead.phone if lead else None,
        name=lead.name if lead else None,
        person_id=str(lead.contact_id if lead else conversion.lead_id),
        page_url=lead.page_url if lead else None,
        action=action,
        order_status=conversion.order_status or "paid",
        refunded_at=conversion.refunded_at,
        tracking=tracking_of(lead),
        consent=dict(lead.consent) if lead is not None and lead.consent is not None else None,
    )


TRACKING_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
_REFERRAL_FIELDS = ("src", "sck")


def tracking_of(lead: LeadConversionFacts | None) -> dict[str, str]:
    """The lead's UTMs, src and sck, all from ONE touch: a tracked lead's credited touch
    (its source, medium and campaign copied on the lead; the sync adds the rest from the
    touch itself, `clicks.for_platform`), else what the form's hidden fields sent, as a
    whole. Never some fields from one visit and the rest from another."""
    if lead is None:
        return {}
    credited = {"utm_source": lead.source, "utm_medium": lead.medium, "utm_campaign": lead.campaign}
    submitted = dict(lead.submitted_attribution)
    if lead.utm_tracking_id is not None or not any(submitted.get(n) for n in TRACKING_FIELDS):
        return {name: str(value) for name, value in credited.items() if value}
    form = dict(lead.form_fields)
    found = {name: str(submitted[name]) for name in TRACKING_FIELDS if submitted.get(name)}
    for name in _REFERRAL_FIELDS:
        value = submitted.get(name) or form.get(name)
        if value:
            found[name] = str(value)
    return found


def initial_status(
    connector: Connector,
    record: ConversionRecord,
    *,
    has_account: bool,
    window_days: int,
    now: datetime,
) -> tuple[str, str | None]:
    """A new conversion's delivery state on the connector's platform, with the reason."""
    platform = connector.platform
    if ad_consent_denied(record.consent):
        return "not_applicable", Reason(
            "The person did not consent to their data being sent to ad platforms.",
            "no_ad_consent",
            platform=platform,
        )
    if not has_account:
        return "not_applicable", Reason(
            f"No active {connector.credential_service} credential.",
            "no_credential",
            platform=platform,
        )
    reason = connector.unmatchable(record)
    if reason is not None:
        return "not_applicable", reason
    clicked_at = connector.window_click_time(record)
    if clicked_at is not None and record.conversion_date - clicked_at > timedelta(days=window_days):
        days = (record.conversion_date - clicked_at).days
        return "expired", Reason(
            f"The click of {clicked_at.date().isoformat()} is {days} days before the "
            f"conversion; the {platform} attribution window is {window_days} days.",
            "outside_window",
            platform=platform,
            clicked=clicked_at.date().isoformat(),
            days=days,
            window=window_days,
        )
    reason = connector.too_old(record, now)
    if reason is not None:
        return "expired", reason
    return "pending", None


async def _accounts(session: AsyncSession) -> dict[str, uuid.UUID]:
    """The active credential of each connector's service (the first by name)."""
    found: dict[str, uuid.UUID] = {}
    for connector in CONNECTORS.values():
        rows, _ = await credentials.list_credentials(
            session, PageParams(page=1, page_size=200), service=connector.credential_service
        )
        active = [row for row in rows if row.is_active]
        if active:
            found[connector.platform] = active[0].id
    return found


async def queue_sync(session: AsyncSession, organization_id: uuid.UUID) -> None:
    """Queue an immediate sync of the organization's due conversions (in the caller's
    transaction)."""
    await enqueue(
        session,
        SYNC_TASK,
        args={"organization_id": str(organization_id)},
        queue=SYNC_QUEUE,
        lock=f"conversions.sync:{organization_id}",
    )


@dataclass(frozen=True)
class Created:
    conversion: OfflineConversion
    created: bool  # False: the lead already had a conversion of that name


async def create_conversion(
    session: AsyncSession,
    *,
    lead: LeadConversionFacts,
    conversion_name: str,
    value: Decimal | None,
    currency: str | None,
    conversion_date: datetime,
    order_id: str | None,
    origin: str,
    stage_id: uuid.UUID | None = None,
) -> Created:
    """The lead's conversion of that name: created with its delivery states (and a sync
    job queued), or the one already stored."""
    existing = await _by_name(session, lead.lead_id, conversion_name)
    if existing is not None:
        return Created(existing, created=False)
    click = lead.click_ids
    clicked_at = lead.clicked_at
    if currency is None:
        organization = await accounts.get_organization(session, lead.organization_id)
        currency = organization.currency or "BRL"
    conversion_id = uuid7()
    values: dict[str, Any] = {
        "conversion_id": conversion_id,
        "organization_id": lead.organization_id,
        "lead_id": lead.lead_id,
        "original_tracking_id": lead.utm_tracking_id,
        "clicked_at": clicked_at,
        "conversion_value": value,
        "conversion_currency": currency.upper(),
        "conversion_date": conversion_date,
        "conversion_name": conversion_name,
        "order_id": order_id or str(conversion_id),
        "origin": origin,
        "stage_id": stage_id,
        "sync_status": {},
        **{name: click.get(name) for name in _ALL_CLICK_IDS},
    }
    # ON CONFLICT: a concurrent creation of the same (lead, name) returns the stored one.
    inserted = await session.scalar(
        insert(OfflineConversion)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["lead_id", "conversion_name"])
        .returning(OfflineConversion.conversion_id)
    )
    if inserted is None:
        stored = await _by_name(session, lead.lead_id, conversion_name)
        assert stored is not None
        return Created(stored, created=False)
    conversion = await session.get(OfflineConversion, conversion_id)
    assert conversion is not None
    rules = await conversion_settings.current(session)
    accounts_by_platform = await _accounts(session)
    now = datetime.now(UTC)
    statuses: dict[str, str] = {}
    for platform, connector in CONNECTORS.items():
        action = conversion_settings.action_of(rules, conversion_name, platform)
        record = record_of(conversion, lead, action)
        status, reason = initial_status(
            connector,
            record,
            has_account=platform in accounts_by_platform,
            window_days=conversion_settings.window_days(rules, conversion_name, platform),
            now=now,
        )
        if (
            status in ("expired", "not_applicable")
            and platform in accounts_by_platform
            and platform in clicks.PLATFORM_CLICK_IDS
            and lead.visitor_id
        ):
            # A tracked person may have a newer click of this platform than the credited
            # touch's: the sync decides from the whole journey (the BI database).
            status, reason = "pending", None
        reason_code, reason_params = code_of(reason)
        session.add(
            ConversionSync(
                conversion_id=conversion_id,
                platform=platform,
                organization_id=lead.organization_id,
                credential_id=accounts_by_platform.get(platform),
                status=status,
                reason=reason,
                reason_code=reason_code,
                reason_params=reason_params,
                attempts=0,
                next_attempt_at=now if status == "pending" else None,
                click=_click_json(record, platform, lead.utm_tracking_id),
            )
        )
        statuses[platform] = status
    conversion.sync_status = statuses
    await session.flush()
    if "pending" in statuses.values():
        await queue_sync(session, lead.organization_id)
    return Created(conversion, created=True)


def _click_json(
    record: ConversionRecord, platform: str, credited_id: uuid.UUID | None
) -> dict[str, Any] | None:
    click = clicks.stored_click(record, platform, credited_id=credited_id)
    return click.as_json() if click else None


async def _by_name(
    session: AsyncSession, lead_id: uuid.UUID, conversion_name: str
) -> OfflineConversion | None:
    found: OfflineConversion | None = await session.scalar(
        select(OfflineConversion).where(
            OfflineConversion.lead_id == lead_id,
            OfflineConversion.conversion_name == conversion_name,
        )
    )
    return found


@pipeline.on_stage_changed
async def create_on_won(session: AsyncSession, change: LeadStageChanged) -> None:
    """A lead reaching `won` gets the organization's won conversion (once per lead), unless
    a sale won it: the sale records its own purchase, with its order id."""
    if change.stage_name != "won" or change.source == sales.SALE_SOURCE:
        return
    lead = await lead_facts.get_conversion_facts(session, change.lead_id)
    assert lead is not None  # the change's own lead, in the change's session
    rules = await conversion_settings.current(session)
    await create_conversion(
        session,
        lead=lead,
        conversion_name=rules.won_conversion_name,
        value=change.lead_value,
        currency=None,
        conversion_date=change.changed_at,
        order_id=None,
        origin="won",
        stage_id=change.stage_id,
    )


async def create_from_api(
    session: AsyncSession,
    *,
    lead_id: uuid.UUID,
    conversion_name: str,
    value: Decimal | None,
    currency: str | None,
    conversion_date: datetime | None,
    order_id: str | None,
) -> Created:
    """A conversion sent by a checkout or an import (idempotent per lead and name)."""
    lead = await lead_facts.get_conversion_facts(session, lead_id)
    if lead is None:
        raise field_error("lead_id", "No such lead in this organization.")
    now = datetime.now(UTC)
    when = conversion_date or now
    if when > now + timedelta(minutes=5):
        raise field_error("conversion_date", "The conversion date is in the future.")
    return await create_conversion(
        session,
        lead=lead,
        conversion_name=conversion_name,
        value=value,
        currency=currency,
        conversion_date=when,
        order_id=order_id,
        origin="api",
    )


# --- reads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversionFilters:
    status: str | None = None
    platform: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    campaign: str | None = None
    conversion_name: str | None = None
    lead_id: uuid.UUID | None = None


async def list_conversions(
    session: AsyncSession, params: PageParams, *, filters: ConversionFilters
) -> tuple[list[OfflineConversion], int]:
    """The organization's conversions, newest first. `status` with `platform` means that
    platform's status; `status` alone, any platform's; `platform` alone, conversions that
    platform has a delivery state for."""
    statement = select(OfflineConversion).order_by(
        OfflineConversion.conversion_date.desc(), OfflineConversion.conversion_id.desc()
    )
    if filters.status is not None or filters.platform is not None:
        match = ConversionSync.conversion_id == OfflineConversion.conversion_id
        if filters.status is not None:
            match = match & (ConversionSync.status == filters.status)
        if filters.platform is not None:
            match = match & (ConversionSync.platform == filters.platform)
        statement = statement.where(exists().where(match))
    if filters.date_from is not None:
        statement = statement.where(OfflineConversion.conversion_date >= filters.date_from)
    if filters.date_to is not None:
        statement = statement.where(OfflineConversion.conversion_date < filters.date_to)
    if filters.campaign is not None:
        statement = statement.where(
            OfflineConversion.lead_id.in_(lead_facts.campaign_lead_ids(filters.campaign))
        )
    if filters.conversion_name is not None:
        statement = statement.where(OfflineConversion.conversion_name == filters.conversion_name)
    if filters.lead_id is not None:
        statement = statement.where(OfflineConversion.lead_id == filters.lead_id)
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def leads_of(
    session: AsyncSession, conversions: list[OfflineConversion]
) -> dict[uuid.UUID, LeadConversionFacts]:
    return await lead_facts.conversion_facts_of(
        session, {conversion.lead_id for conversion in conversions}
    )


async def syncs_of(
    session: AsyncSession, conversion_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ConversionSync]]:
    found: dict[uuid.UUID, list[ConversionSync]] = {cid: [] for cid in conversion_ids}
    if not conversion_ids:
        return found
    rows = await session.scalars(
        select(ConversionSync)
        .where(ConversionSync.conversion_id.in_(conversion_ids))
        .order_by(ConversionSync.platform)
    )
    for row in rows:
        found[row.conversion_id].append(row)
    return found


async def get_conversion(session: AsyncSession, conversion_id: uuid.UUID) -> OfflineConversion:
    conversion = await session.get(OfflineConversion, conversion_id)
    if conversion is None:
        raise NotFound("Conversion not found.")
    return conversion


async def sync_log(session: AsyncSession, conversion_id: uuid.UUID) -> list[PlatformSyncLog]:
    """Every attempt of the conversion, oldest first."""
    return list(
        await session.scalars(
            select(PlatformSyncLog)
            .where(PlatformSyncLog.conversion_id == conversion_id)
            .order_by(PlatformSyncLog.synced_at, PlatformSyncLog.sync_id)
        )
    )


# --- retry now and send again -------------------------------------------------------------------


async def _requeue(
    session: AsyncSession,
    conversion_id: uuid.UUID,
    *,
    from_status: str,
    platform: str | None,
    problem: str,
) -> OfflineConversion:
    conversion = await get_conversion(session, conversion_id)
    statement = (
        select(ConversionSync)
        .where(ConversionSync.conversion_id == conversion_id, ConversionSync.status == from_status)
        .with_for_update()
    )
    if platform is not None:
        statement = statement.where(ConversionSync.platform == platform)
    syncs = list(await session.scalars(statement))
    if not syncs:
        raise Conflict(problem, details={"sync_status": conversion.sync_status})
    now = datetime.now(UTC)
    statuses = dict(conversion.sync_status)
    for sync in syncs:
        sync.status = "pending"
        sync.reason = None
        sync.attempts = 0
        sync.next_attempt_at = now
        statuses[sync.platform] = "pending"
    conversion.sync_status = statuses
    await session.flush()
    await queue_sync(session, conversion.organization_id)
    return conversion


async def retry_conversion(
    session: AsyncSession, conversion_id: uuid.UUID, *, platform: str | None = None
) -> OfflineConversion:
    """Failed deliveries (of one platform, or all) become pending now."""
    return await _requeue(
        session,
        conversion_id,
        from_status="failed",
        platform=platform,
        problem="Only a failed delivery can be retried.",
    )


async def resend_conversion(
    session: AsyncSession, conversion_id: uuid.UUID, *, platform: str
) -> OfflineConversion:
    """A delivery already sent is sent again, with the same order id / event id (so the
    platform deduplicates it within its window)."""
    return await _requeue(
        session,
        conversion_id,
        from_status="sent",
        platform=platform,
        problem="Only a sent delivery can be sent again.",
    )
