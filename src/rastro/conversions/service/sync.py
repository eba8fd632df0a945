"""Sending pending conversions to the ad platforms, and the platforms' health.

A sync run finds the due deliveries (`offline_conversion_syncs` pending with
`next_attempt_at` past), grouped per organization, platform and account (credential),
and sends them in batches of up to the platform's limit. Each batch is one unit of work of the
job's `TransactionBoundary` (core/units.py):
its rows are claimed with `FOR UPDATE SKIP LOCKED` (two workers never take the same
row), the request is made while they stay locked, and the outcome, the
`platform_sync_log` rows and the new `sync_status` are committed together. A worker that
dies before its commit leaves the rows pending, and the next run sends them again with
the same order id / event id, which the platform deduplicates; a delivery committed as
`sent` is never claimed again.

A conversion the platform would refuse as too recent (`Connector.not_before`, e.g.
Google's 6-hour minimum click age) is not attempted: it stays pending with
`next_attempt_at` at that time. Rows the platform itself answers "later" for
(`BatchOutcome.row_retry_after`) stay pending the same way.

Transient failures (timeouts, network errors, 429/5xx, the platform's transient codes)
stay pending with exponential backoff and full jitter (at least the server's
Retry-After) until `max_attempts`; other failures are final. Each platform account has a
circuit breaker: `breaker_failures` transient failures in a row open it for
`breaker_cooldown_seconds`, after which one trial batch decides whether it closes.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import structlog
from sqlalchemy import Text, cast, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.conversions.connectors import CONNECTORS
from rastro.conversions.connectors.base import (
    BatchOutcome,
    Connector,
    ConnectorError,
    InvalidConversion,
)
from rastro.conversions.models import (
    CircuitBreaker,
    ConversionSync,
    OfflineConversion,
    PlatformSyncLog,
)
from rastro.conversions.service import records
from rastro.conversions.service import settings as conversion_settings
from rastro.core.db import SYSTEM, Scope
from rastro.core.errors import NotFound
from rastro.core.http import HttpClient, RetryPolicy
from rastro.core.ids import uuid7
from rastro.core.oauth import OAuthError
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SyncConfig:
    timeout: float = 20.0
    retry_base_seconds: float = 60.0
    max_attempts: int = 8
    breaker_failures: int = 5
    breaker_cooldown_seconds: float = 300.0
    # Batches per account in one run, so that one run stays bounded.
    max_batches: int = 100
    # Batches of one account in flight at once: while one waits for the platform or the
    # database, the next is claimed and built (SKIP LOCKED keeps their rows apart).
    concurrency: int = 2

    @classmethod
    def from_settings(cls, settings: Any) -> SyncConfig:
        return cls(
            timeout=settings.conversion_sync_timeout_seconds,
            retry_base_seconds=settings.conversion_retry_base_seconds,
            max_attempts=settings.conversion_max_attempts,
            breaker_failures=settings.conversion_breaker_failures,
            breaker_cooldown_seconds=settings.conversion_breaker_cooldown_seconds,
        )


@dataclass
class SyncReport:
    requests: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    expired: int = 0
    waiting: int = 0  # not sent yet: too recent for the platform
    paused: list[str] = field(default_factory=list)  # "platform:credential" with open breakers


@dataclass(frozen=True)
class _Group:
    organization_id: uuid.UUID
    platform: str
    credential_id: uuid.UUID | None


async def run_sync(
    crm: TransactionBoundary,
    keyring: Keyring,
    config: SyncConfig,
    *,
    organization_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> SyncReport:
    """Send every due delivery (of one organization, or all), each batch a unit of work of
    the job's `crm` boundary; returns what happened."""
    now = now or datetime.now(UTC)
    report = SyncReport()
    # One HTTP client per platform URL for the whole run: a client per batch paid for a
    # new TLS context and connection each time (a tenth of a second: most of a one-order
    # UTMify request).
    clients: dict[str, HttpClient] = {}
    try:
        for group in await _due_groups(crm, organization_id, now):
            budget = config.max_batches

            async def lane(group: _Group = group) -> None:
                nonlocal budget
                while budget > 0:
                    budget -= 1
                    if not await _sync_batch(crm, keyring, config, group, now, report, clients):
                        return

            await asyncio.gather(*(lane() for _ in range(max(1, config.concurrency))))
    finally:
        for client in clients.values():
            await client.aclose()
    return report


async def _due_groups(
    crm: TransactionBoundary, organization_id: uuid.UUID | None, now: datetime
) -> list[_Group]:
    # SYSTEM scope: the periodic run looks across organizations; each batch then works
    # inside its organization's scope.
    async with crm.unit(SYSTEM) as session:
        statement = (
            select(
                ConversionSync.organization_id,
                ConversionSync.platform,
                ConversionSync.credential_id,
            )
            .where(
                ConversionSync.status == "pending",
                ConversionSync.next_attempt_at <= now,
                ConversionSync.platform.in_(list(CONNECTORS)),
            )
            .distinct()
        )
        if organization_id is not None:
            statement = statement.where(ConversionSync.organization_id == organization_id)
        rows = (await session.execute(statement)).all()
    return [_Group(*row) for row in rows]


async def _gate(session: AsyncSession, group: _Group, now: datetime) -> str:
    """closed (send), trial (send one batch: the breaker is half-open) or paused."""
    if group.credential_id is None:
        return "closed"
    breaker = await session.scalar(
        select(CircuitBreaker).where(
            CircuitBreaker.platform == group.platform,
            CircuitBreaker.credential_id == group.credential_id,
        )
    )
    if breaker is None or breaker.state == "closed":
        return "closed"
    if breaker.state == "open" and breaker.open_until is not None and now < breaker.open_until:
        return "paused"
    # The cool-down is over: the one worker that moves the breaker to half-open sends the
    # trial batch; the others leave the account alone this round. The cool-down is checked
    # again in the UPDATE: a worker that waited here for another's failed trial to commit
    # finds the breaker open anew.
    moved = await session.execute(
        update(CircuitBreaker)
        .where(
            CircuitBreaker.platform == group.platform,
            CircuitBreaker.credential_id == group.credential_id,
            CircuitBreaker.state == breaker.state,
            CircuitBreaker.open_until.is_(None) | (CircuitBreaker.open_until <= now),
        )
        .values(state="half_open")
        .execution_options(synchronize_session=False)
    )
    return "trial" if getattr(moved, "rowcount", 0) == 1 else "paused"


async def _record_breaker(
    session: AsyncSession, group: _Group, config: SyncConfig, outcome: BatchOutcome, now: datetime
) -> None:
    if group.credential_id is None:
        return
    await session.execute(
        insert(CircuitBreaker)
        .values(
            platform=group.platform,
            credential_id=group.credential_id,
            organization_id=group.organization_id,
        )
        .on_conflict_do_nothing(index_elements=["platform", "credential_id"])
    )
    breaker = await session.scalar(
        select(CircuitBreaker)
        .where(
            CircuitBreaker.platform == group.platform,
            CircuitBreaker.credential_id == group.credential_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert breaker is not None
    if outcome.transient:
        breaker.consecutive_failures += 1
        if breaker.state == "half_open" or breaker.consecutive_failures >= config.breaker_failures:
            breaker.state = "open"
            breaker.opened_at = now
            breaker.open_until = now + timedelta(seconds=config.breaker_cooldown_seconds)
            log.warning(
                "conversions.breaker_opened",
                platform=group.platform,
                credential_id=str(group.credential_id),
                failures=breaker.consecutive_failures,
            )
    else:  # the platform answered (even with a validation error): it is up
        breaker.state = "closed"
        breaker.consecutive_failures = 0
        breaker.open_until = None


async def _send(
    connector: Connector,
    events: list[dict[str, Any]],
    session: AsyncSession,
    keyring: Keyring,
    group: _Group,
    config: SyncConfig,
    clients: dict[str, HttpClient],
) -> tuple[BatchOutcome, dict[str, Any]]:
    """One request; every failure becomes an outcome. Also returns the request summary."""
    if group.credential_id is None:
        return BatchOutcome(ok=False, error="The platform credential was removed."), {}
    try:
        stored = await credentials.get_credential(session, group.credential_id)
        if not stored.is_active:
            raise ConnectorError("The platform credential is inactive.")
        credential = await credentials.resolve_credential(session, keyring, group.credential_id)
        if not credential.base_url:
            raise ConnectorError("The platform credential has no API URL.")
        summary = connector.request_summary(credential)
    except NotFound:
        return BatchOutcome(ok=False, error="The platform credential was removed."), {}
    except ConnectorError as error:
        return BatchOutcome(ok=False, error=str(error)), {}
    http = clients.get(credential.base_url)
    if http is None:
        http = HttpClient(
            credential.base_url, timeout=config.timeout, retry=RetryPolicy(attempts=1)
        )
        clients[credential.base_url] = http
    try:
        outcome = await connector.send(events, credential, http)
    except httpx.TimeoutException:
        outcome = BatchOutcome(
            ok=False, error=f"Timed out after {config.timeout:g}s.", transient=True
        )
    except httpx.TransportError as error:
        outcome = BatchOutcome(
            ok=False, error=f"Network error: {type(error).__name__}: {error}"[:2000], transient=True
        )
    except ConnectorError as error:
        outcome = BatchOutcome(ok=False, error=str(error))
    except OAuthError as error:
        # The token endpoint down: retried like the platform being down; the grant refused
        # (invalid_grant: the account must be reconnected): final.
        outcome = BatchOutcome(ok=False, error=str(error), transient=error.transient)
    return outcome, summary


# The log rows of a batch in one statement with one parameter: a thousand rows through the
# ORM, or as a multi-row VALUES with twelve thousand parameters, took most of a batch's
# time (bench/README.md, "Draining offline conversions"). COPY is not an option: the
# table has row-level security.
_INSERT_LOG = text(
    """
    INSERT INTO platform_sync_log (
        sync_id, organization_id, conversion_id, platform, batch_id, attempt, sync_status,
        request_payload, response_data, error_message, http_status_code, synced_at)
    SELECT sync_id, organization_id, conversion_id, platform, batch_id, attempt,
           sync_status, request_payload, response_data, error_message, http_status_code,
           synced_at
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS row(
        sync_id uuid, organization_id uuid, conversion_id uuid, platform text,
        batch_id uuid, attempt int, sync_status text, request_payload jsonb,
        response_data jsonb, error_message text, http_status_code int,
        synced_at timestamptz)
    """
)


class _Outcomes:
    """What one batch changes, written in bulk at the end: the delivery rows (grouped by
    identical new values, so a batch that all went out is one UPDATE), the platform's
    entry in each conversion's `sync_status` map, and the log rows."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.deliveries: dict[tuple[tuple[str, Any], ...], list[uuid.UUID]] = {}
        self.statuses: dict[str, list[uuid.UUID]] = {}
        self.log: list[dict[str, Any]] = []

    def set_status(
        self, sync: ConversionSync, status: str, reason: str | None, **changes: Any
    ) -> None:
        values = {"status": status, "reason": reason, **changes}
        if status != "pending":
            values["next_attempt_at"] = None
        key = tuple(sorted(values.items()))
        self.deliveries.setdefault(key, []).append(sync.conversion_id)
        self.statuses.setdefault(status, []).append(sync.conversion_id)

    async def write(self, session: AsyncSession) -> None:
        for key, conversion_ids in self.deliveries.items():
            await session.execute(
                update(ConversionSync)
                .where(
                    ConversionSync.platform == self.platform,
                    ConversionSync.conversion_id.in_(conversion_ids),
                )
                .values(**dict(key), updated_at=func.now())
                .execution_options(synchronize_session=False)
            )
        # `||` merges this platform's key into the map in the database: another
        # platform's worker may be updating the same conversion's map at the same time,
        # and a read-modify-write of the whole map would lose one of the two.
        for status, conversion_ids in self.statuses.items():
            await session.execute(
                update(OfflineConversion)
                .where(OfflineConversion.conversion_id.in_(conversion_ids))
                .values(
                    sync_status=OfflineConversion.sync_status.op("||")(
                        func.jsonb_build_object(cast(self.platform, Text), cast(status, Text))
                    ),
                    updated_at=func.now(),
                )
                .execution_options(synchronize_session=False)
            )
        if self.log:
            await session.execute(
                _INSERT_LOG,
                {"rows": orjson.dumps(self.log, option=orjson.OPT_NON_STR_KEYS).decode()},
            )


async def _sync_batch(
    crm: TransactionBoundary,
    keyring: Keyring,
    config: SyncConfig,
    group: _Group,
    now: datetime,
    report: SyncReport,
    clients: dict[str, HttpClient],
) -> bool:
    """Claim, send and record one batch of the group; False when the group is done."""
    connector = CONNECTORS[group.platform]
    async with crm.unit(Scope.organization(group.organization_id)) as session:
        gate = await _gate(session, group, now)
        if gate == "paused":
            report.paused.append(f"{group.platform}:{group.credential_id}")
            return False
        credential_match = (
            ConversionSync.credential_id.is_(None)
            if group.credential_id is None
            else ConversionSync.credential_id == group.credential_id
        )
        syncs = list(
            await session.scalars(
                select(ConversionSync)
                .where(
                    ConversionSync.platform == group.platform,
                    credential_match,
                    ConversionSync.status == "pending",
                    ConversionSync.next_attempt_at <= now,
                )
                .order_by(ConversionSync.next_attempt_at, ConversionSync.conversion_id)
                .limit(connector.batch_limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not syncs:
            return False
        conversions = {
            c.conversion_id: c
            for c in await session.scalars(
                select(OfflineConversion).where(
                    OfflineConversion.conversion_id.in_([s.conversion_id for s in syncs])
                )
            )
        }
        leads = await records.leads_of(session, list(conversions.values()))
        rules = await conversion_settings.current(session)
        batch_id = uuid7()
        attempted_at = datetime.now(UTC)
        outcomes = _Outcomes(group.platform)
        ready: list[tuple[ConversionSync, OfflineConversion, dict[str, Any]]] = []
        for sync in syncs:
            conversion = conversions[sync.conversion_id]
            action = conversion_settings.action_of(
                rules, conversion.conversion_name, group.platform
            )
            record = records.record_of(conversion, leads.get(conversion.lead_id), action)
            too_old = connector.too_old(record, now)
            if too_old is not None:
                outcomes.set_status(sync, "expired", too_old)
                report.expired += 1
                continue
            not_before = connector.not_before(record)
            if not_before is not None and not_before > now:
                # Too recent for the platform (Google's 6-hour click age): not an attempt,
                # it waits, pending, until the platform takes it.
                outcomes.set_status(
                    sync,
                    "pending",
                    f"Waiting until {not_before.isoformat(timespec='seconds')}: "
                    f"{connector.platform} does not accept it earlier.",
                    next_attempt_at=not_before,
                )
                report.waiting += 1
                continue
            try:
                event = connector.event(record)
            except InvalidConversion as error:
                attempt = sync.attempts + 1
                outcomes.set_status(
                    sync, "failed", str(error), attempts=attempt, last_attempt_at=attempted_at
                )
                outcomes.log.append(
                    {
                        "sync_id": uuid7(),
                        "organization_id": group.organization_id,
                        "conversion_id": conversion.conversion_id,
                        "platform": group.platform,
                        "batch_id": None,
                        "attempt": attempt,
                        "sync_status": "failed",
                        "request_payload": {},
                        "response_data": {},
                        "error_message": str(error),
                        "http_status_code": None,
                        "synced_at": attempted_at,
                    }
                )
                report.failed += 1
                continue
            ready.append((sync, conversion, event))
        if not ready:
            await outcomes.write(session)
            return True
        outcome, summary = await _send(
            connector, [event for _, _, event in ready], session, keyring, group, config, clients
        )
        report.requests += 1
        batch = {**summary, "batch_id": str(batch_id), "events": len(ready)}
        for index, (sync, conversion, event) in enumerate(ready):
            attempt = sync.attempts + 1
            tried = {
                "attempts": attempt,
                "last_attempt_at": attempted_at,
                "last_batch_id": batch_id,
            }
            row_error = outcome.row_errors.get(index)
            row_retry = outcome.row_retry_after.get(index)
            if row_error is None and row_retry is not None:
                # The platform took the request but asks for this event again later.
                seconds, error_message = row_retry
                if attempt < config.max_attempts:
                    outcomes.set_status(
                        sync,
                        "pending",
                        error_message,
                        next_attempt_at=now + timedelta(seconds=seconds),
                        **tried,
                    )
                    log_status = "retrying"
                    report.retrying += 1
                else:
                    error_message = f"Gave up after {attempt} attempts: {error_message}"
                    outcomes.set_status(sync, "failed", error_message, **tried)
                    log_status = "failed"
                    report.failed += 1
            elif outcome.ok and row_error is None:
                outcomes.set_status(sync, "sent", None, sent_at=attempted_at, **tried)
                log_status, error_message = "success", None
                report.sent += 1
            elif outcome.transient and row_error is None and attempt < config.max_attempts:
                next_attempt_at = now + RetryPolicy.queued(config.retry_base_seconds).wait(
                    attempt, outcome.retry_after
                )
                outcomes.set_status(
                    sync, "pending", outcome.error, next_attempt_at=next_attempt_at, **tried
                )
                log_status, error_message = "retrying", outcome.error
                report.retrying += 1
            else:
                error_message = row_error or outcome.error or "Rejected."
                if outcome.transient and row_error is None:
                    error_message = f"Gave up after {attempt} attempts: {error_message}"
                outcomes.set_status(sync, "failed", error_message, **tried)
                log_status = "failed"
                report.failed += 1
            outcomes.log.append(
                {
                    "sync_id": uuid7(),
                    "organization_id": group.organization_id,
                    "conversion_id": conversion.conversion_id,
                    "platform": group.platform,
                    "batch_id": batch_id,
                    "attempt": attempt,
                    "sync_status": log_status,
                    "request_payload": {"request": batch, "event": connector.loggable(event)},
                    "response_data": connector.row_response(outcome.response, index),
                    "error_message": error_message,
                    "http_status_code": outcome.http_status,
                    "synced_at": attempted_at,
                }
            )
        await outcomes.write(session)
        if summary:  # the platform was called (not a configuration problem)
            await _record_breaker(session, group, config, outcome, now)
        # A half-open breaker lets one batch through per run.
        return gate == "closed"


# --- health -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformHealth:
    platform: str
    last_success_at: datetime | None
    attempts_24h: int
    failed_24h: int
    error_rate_24h: float | None
    queue_length: int
    breaker_state: str  # closed | half_open | open (the worst of the platform's accounts)
    breaker_open_until: datetime | None


_BREAKER_ORDER = {"closed": 0, "half_open": 1, "open": 2}


async def platform_health(
    session: AsyncSession, *, now: datetime | None = None
) -> list[PlatformHealth]:
    """Per platform with a connector: last success, error rate of the last 24 hours,
    deliveries waiting, the breaker."""
    now = now or datetime.now(UTC)
    since = now - timedelta(hours=24)
    out: list[PlatformHealth] = []
    for platform in CONNECTORS:
        last_success = await session.scalar(
            select(func.max(PlatformSyncLog.synced_at)).where(
                PlatformSyncLog.platform == platform, PlatformSyncLog.sync_status == "success"
            )
        )
        attempts, failed = (
            await session.execute(
                select(
                    func.count(),
                    func.count().filter(PlatformSyncLog.sync_status != "success"),
                )
                .select_from(PlatformSyncLog)
                .where(PlatformSyncLog.platform == platform, PlatformSyncLog.synced_at >= since)
            )
        ).one()
        queue = await session.scalar(
            select(func.count())
            .select_from(ConversionSync)
            .where(ConversionSync.platform == platform, ConversionSync.status == "pending")
        )
        breakers = list(
            await session.scalars(select(CircuitBreaker).where(CircuitBreaker.platform == platform))
        )
        worst = max(breakers, key=lambda b: _BREAKER_ORDER.get(b.state, 0), default=None)
        out.append(
            PlatformHealth(
                platform=platform,
                last_success_at=last_success,
                attempts_24h=int(attempts),
                failed_24h=int(failed),
                error_rate_24h=(failed / attempts) if attempts else None,
                queue_length=int(queue or 0),
                breaker_state=worst.state if worst else "closed",
                breaker_open_until=worst.open_until if worst and worst.state == "open" else None,
            )
        )
    return out
