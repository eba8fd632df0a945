"""Push attempts (seed 000 `integrations_log`): one row per attempt of one lead to one
destination, pending → success | failed.

A transient failure (timeout, network error, 408/429/5xx) queues the next attempt as a new
pending row after `RetryPolicy.queued` (full jitter, at least the server's Retry-After), up to
`MAX_RETRIES` retries; anything else fails at once. A failed row can be retried by hand.
No database transaction stays open while a destination is being called.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.auth.service.credentials import ResolvedCredential
from rastro.core.db import SYSTEM, Scope, set_scope
from rastro.core.errors import Conflict, NotFound
from rastro.core.http import RetryPolicy
from rastro.core.pagination import PageParams, paginate
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from rastro.crm.schemas import IntegrationLogEntry
from rastro.crm.service import external, hooks
from rastro.integrations.connectors import CONNECTORS
from rastro.integrations.connectors.base import (
    Calls,
    ConnectorError,
    LeadPayload,
    PushContext,
    PushResult,
)
from rastro.integrations.models import Destination, IntegrationLog
from rastro.integrations.service.destinations import enqueue_attempt

log = structlog.get_logger(__name__)

STATUSES = ("pending", "success", "failed")


@dataclass(frozen=True)
class Prepared:
    organization_id: uuid.UUID
    lead: LeadPayload
    integration_name: str
    context: PushContext


async def _prepare(
    session: AsyncSession,
    keyring: Keyring,
    row: IntegrationLog,
    destination: Destination,
    *,
    call_timeout: float,
) -> Prepared:
    lead = await external.lead_for_push(session, row.lead_id)
    if lead is None:
        raise ConnectorError("The lead no longer exists.")
    previous = (
        await session.scalars(
            select(IntegrationLog)
            .where(
                IntegrationLog.lead_id == lead.lead_id,
                IntegrationLog.destination_id == destination.destination_id,
                IntegrationLog.status == "success",
            )
            .order_by(IntegrationLog.created_at.desc())
            .limit(1)
        )
    ).first()
    credential: ResolvedCredential | None = None
    if destination.credential_id is not None:
        try:
            credential = await credentials.resolve_credential(
                session, keyring, destination.credential_id
            )
        except NotFound:
            credential = None
    context = PushContext(
        credential=credential,
        settings=dict(destination.settings),
        timeout=call_timeout,
        previous_external_id=(previous.response_data.get("external_id") if previous else None),
        previous_response=dict(previous.response_data) if previous else {},
    )
    payload = LeadPayload(
        lead_id=lead.lead_id,
        organization_id=lead.organization_id,
        event=row.event,
        delivery_id=str(row.request_data.get("delivery_id") or row.log_id),
        email=lead.email,
        name=lead.name,
        phone=lead.phone,
        company=lead.company,
        message=lead.message,
        form_location=lead.form_location,
        lead_score=lead.lead_score,
        stage=str(row.request_data.get("stage") or lead.current_stage),
        stage_value=lead.stage_value,
        source=lead.source,
        medium=lead.medium,
        campaign=lead.campaign,
        channel=lead.channel,
        session_id=lead.session_id,
        visitor_id=lead.visitor_id,
        utm_tracking_id=lead.utm_tracking_id,
        created_at=lead.created_at,
    )
    return Prepared(lead.organization_id, payload, destination.integration_name, context)


async def send(
    integration_name: str,
    lead: LeadPayload,
    context: PushContext,
) -> tuple[PushResult, list[dict[str, Any]]]:
    """Make one attempt; every failure becomes a result (never raises)."""
    connector = CONNECTORS[integration_name]
    recorded: list[dict[str, Any]] = []
    try:
        calls = Calls.open(
            connector.base_url(context),
            timeout=context.timeout,
            headers=connector.headers(context),
            transport=context.transport,
        )
    except ConnectorError as error:
        return PushResult(ok=False, error=str(error)), recorded
    try:
        result = await connector.push(lead, context, calls)
    except httpx.TimeoutException:
        result = PushResult(
            ok=False, error=f"Timed out after {context.timeout:g}s.", transient=True
        )
    except httpx.TransportError as error:
        result = PushResult(
            ok=False, error=f"Network error: {type(error).__name__}: {error}"[:2000], transient=True
        )
    except ConnectorError as error:
        result = PushResult(ok=False, error=str(error))
    except Exception as error:  # a bug or an unexpected answer: logged, not retried
        log.exception("crm.push.crashed", destination=integration_name)
        result = PushResult(ok=False, error=f"{type(error).__name__}: {error}"[:2000])
    finally:
        await calls.aclose()
    recorded = calls.recorded
    return result, recorded


def _request_data(row: IntegrationLog, recorded: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "delivery_id": row.request_data.get("delivery_id"),
        "stage": row.request_data.get("stage"),
    }
    if recorded:
        last = recorded[-1]
        data |= {"method": last["method"], "url": last["url"], "payload": last["payload"]}
        if len(recorded) > 1:
            data["steps"] = [
                {"method": c["method"], "url": c["url"], "status": c.get("status")}
                for c in recorded
            ]
    return data


async def run_push(
    crm: TransactionBoundary,
    keyring: Keyring,
    log_id: uuid.UUID,
    *,
    retries_left: int,
    call_timeout: float,
    retry_base_seconds: float,
) -> str:
    """Make the attempt a pending log row describes and record its outcome; returns the
    row's final status (or "skipped" when it was already processed)."""
    async with crm.unit(SYSTEM) as session:
        row = await session.get(IntegrationLog, log_id)
        if row is None or row.status != "pending":
            return "skipped"
        organization_id = row.organization_id
        await set_scope(session, Scope.organization(organization_id))
        destination = (
            await session.get(Destination, row.destination_id) if row.destination_id else None
        )
        prepared: Prepared | None = None
        problem: str | None = None
        if destination is None or not destination.is_active:
            problem = "The destination was removed or deactivated."
        else:
            try:
                prepared = await _prepare(
                    session, keyring, row, destination, call_timeout=call_timeout
                )
            except ConnectorError as error:
                problem = str(error)
    if prepared is not None:
        result, recorded = await send(prepared.integration_name, prepared.lead, prepared.context)
    else:
        result, recorded = PushResult(ok=False, error=problem), []

    async with crm.unit(Scope.organization(organization_id)) as session:
        row = await session.get(IntegrationLog, log_id, with_for_update=True)
        if row is None or row.status != "pending":
            return "skipped"
        row.request_data = _request_data(row, recorded)
        row.response_data = {
            **result.response,
            **({"external_id": result.external_id} if result.external_id else {}),
        }
        row.http_status = result.http_status
        row.error_message = result.error
        row.status = "success" if result.ok else "failed"
        row.processed_at = datetime.now(UTC)
        retrying = not result.ok and result.transient and retries_left > 0
        if retrying:
            retry = IntegrationLog(
                organization_id=row.organization_id,
                lead_id=row.lead_id,
                destination_id=row.destination_id,
                event=row.event,
                integration_type=row.integration_type,
                integration_name=row.integration_name,
                status="pending",
                retry_count=row.retry_count + 1,
                request_data={
                    "delivery_id": row.request_data.get("delivery_id"),
                    "stage": row.request_data.get("stage"),
                },
                response_data={},
            )
            session.add(retry)
            await session.flush()
            delay = RetryPolicy.queued(retry_base_seconds).wait(
                retry.retry_count, result.retry_after
            )
            await enqueue_attempt(
                session,
                retry,
                retries_left=retries_left - 1,
                scheduled_at=datetime.now(UTC) + delay,
            )
        if result.ok:
            await external.record_push_sent(
                session,
                row.lead_id,
                integration_name=row.integration_name,
                external_id=result.external_id,
                data={
                    "log_id": str(row.log_id),
                    "event": row.event,
                    "external_id": result.external_id,
                },
            )
        elif not retrying:
            await external.record_push_failed(
                session,
                row.lead_id,
                integration_name=row.integration_name,
                error=result.error,
                data={
                    "log_id": str(row.log_id),
                    "event": row.event,
                    "attempts": row.retry_count + 1,
                },
            )
        return row.status


# --- reads and the retry button -------------------------------------------------------------


async def list_logs(
    session: AsyncSession,
    params: PageParams,
    *,
    lead_id: uuid.UUID | None = None,
    destination_id: uuid.UUID | None = None,
    status: str | None = None,
    event: str | None = None,
) -> tuple[list[IntegrationLog], int]:
    """The organization's push attempts, newest first."""
    statement = select(IntegrationLog).order_by(
        IntegrationLog.created_at.desc(), IntegrationLog.log_id.desc()
    )
    if lead_id is not None:
        statement = statement.where(IntegrationLog.lead_id == lead_id)
    if destination_id is not None:
        statement = statement.where(IntegrationLog.destination_id == destination_id)
    if status is not None:
        statement = statement.where(IntegrationLog.status == status)
    if event is not None:
        statement = statement.where(IntegrationLog.event == event)
    rows, total = await paginate(session, statement, params)
    return list(rows), total


@hooks.provide_push_history
async def lead_push_history(
    session: AsyncSession, lead_id: uuid.UUID, limit: int
) -> list[IntegrationLogEntry]:
    """The lead's push attempts, newest first (at most `limit`), for the lead's page."""
    rows = await session.scalars(
        select(IntegrationLog)
        .where(IntegrationLog.lead_id == lead_id)
        .order_by(IntegrationLog.created_at.desc())
        .limit(limit)
    )
    return [IntegrationLogEntry.model_validate(row) for row in rows]


async def get_log(session: AsyncSession, log_id: uuid.UUID) -> IntegrationLog:
    row = await session.get(IntegrationLog, log_id)
    if row is None:
        raise NotFound("Integration log entry not found.")
    return row


async def retry_log(session: AsyncSession, log_id: uuid.UUID) -> IntegrationLog:
    """Queue one fresh attempt of a failed push (a new pending row; no automatic retries)."""
    row = await get_log(session, log_id)
    if row.status != "failed":
        raise Conflict("Only a failed push can be retried.", details={"status": row.status})
    destination = await session.get(Destination, row.destination_id) if row.destination_id else None
    if destination is None or not destination.is_active:
        raise Conflict("The destination was removed or is inactive.")
    # The request data is encrypted: the same delivery's attempts are picked out here.
    delivery_id = str(row.request_data.get("delivery_id"))
    earlier = await session.execute(
        select(IntegrationLog.retry_count, IntegrationLog.request_data).where(
            IntegrationLog.lead_id == row.lead_id,
            IntegrationLog.destination_id == row.destination_id,
            IntegrationLog.event == row.event,
        )
    )
    attempts = [
        count for count, data in earlier.all() if str(data.get("delivery_id")) == delivery_id
    ]
    fresh = IntegrationLog(
        lead_id=row.lead_id,
        destination_id=row.destination_id,
        event=row.event,
        integration_type=row.integration_type,
        integration_name=row.integration_name,
        status="pending",
        retry_count=max([row.retry_count, *attempts]) + 1,
        request_data={
            "delivery_id": row.request_data.get("delivery_id"),
            "stage": row.request_data.get("stage"),
            "manual": True,
        },
        response_data={},
    )
    session.add(fresh)
    await session.flush()
    await enqueue_attempt(session, fresh, retries_left=0)
    await session.refresh(fresh)
    return fresh


def sample_lead(organization_id: uuid.UUID, destination_id: uuid.UUID) -> LeadPayload:
    """A fictitious lead for `POST /api/crm/destinations/{id}/test`."""
    lead_id = uuid.uuid5(destination_id, "rastro-test-lead")
    return LeadPayload(
        lead_id=lead_id,
        organization_id=organization_id,
        event="lead.created",
        delivery_id=str(uuid.uuid5(destination_id, f"test:{datetime.now(UTC).isoformat()}")),
        email="rastro.test.lead@example.com",
        name="Rastro Test Lead",
        phone="+5511999999999",
        company="Rastro (test)",
        message="A test lead sent from Rastro's destination settings.",
        form_location="https://example.com/rastro-test",
        lead_score="B",
        stage="new",
        stage_value=None,
        source="rastro",
        medium="test",
        campaign="destination-test",
        channel="direct",
        session_id=None,
        visitor_id=None,
        utm_tracking_id=None,
        created_at=datetime.now(UTC),
    )


@dataclass(frozen=True)
class TestPushOutcome:
    ok: bool
    http_status: int | None
    external_id: str | None
    error: str | None
    request: dict[str, Any]
    response: dict[str, Any]


async def send_test_lead(
    session: AsyncSession,
    keyring: Keyring,
    organization_id: uuid.UUID,
    destination_id: uuid.UUID,
    *,
    call_timeout: float,
    transport: httpx.AsyncBaseTransport | None = None,
) -> TestPushOutcome:
    """Send a sample lead now (one attempt, not logged) and report what happened."""
    destination = await session.get(Destination, destination_id)
    if destination is None:
        raise NotFound("Destination not found.")
    credential = None
    if destination.credential_id is not None:
        credential = await credentials.resolve_credential(
            session, keyring, destination.credential_id
        )
    context = PushContext(
        credential=credential,
        settings=dict(destination.settings),
        timeout=call_timeout,
        transport=transport,
    )
    lead = sample_lead(organization_id, destination_id)
    result, recorded = await send(destination.integration_name, lead, context)
    last = recorded[-1] if recorded else {}
    return TestPushOutcome(
        ok=result.ok,
        http_status=result.http_status,
        external_id=result.external_id,
        error=result.error,
        request={k: last.get(k) for k in ("method", "url", "payload")} if last else {},
        response=result.response,
    )
