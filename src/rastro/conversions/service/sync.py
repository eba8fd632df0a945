"""Sending pending conversions to the ad platforms (their health: `service.health`).

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
circuit breaker (`service.breakers`): `breaker_failures` transient failures in a row open it for
`breaker_cooldown_seconds`, after which one trial batch decides whether it closes; a
credential the platform refuses (401/403, Meta 190, a refused OAuth grant) is marked on
the breaker until a request with it is accepted.

Each delivery is decided again at send time with its platform's own click from the
person's journey (`service.clicks`): the window, the age limits, what it can match on.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import select
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
    ConversionSync,
    OfflineConversion,
)
from rastro.conversions.reasons import Reason
from rastro.conversions.service import breakers, clicks, platform_oauth, records
from rastro.conversions.service import settings as conversion_settings
from rastro.conversions.service.breakers import AccountGroup
from rastro.conversions.service.outcomes import BatchChanges
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
    not_applicable: int = 0  # nothing the platform can match on, found at send time
    waiting: int = 0  # not sent yet: too recent for the platform
    paused: list[str] = field(default_factory=list)  # "platform:credential" with open breakers


async def run_sync(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    keyring: Keyring,
    config: SyncConfig,
    *,
    organization_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> SyncReport:
    """Send every due delivery (of one organization, or all), each batch a unit of work of
    the job's `crm` boundary (the person's journey read through `bi`); returns what
    happened."""
    now = now or datetime.now(UTC)
    report = SyncReport()
    # One HTTP client per platform URL for the whole run: a client per batch paid for a
    # new TLS context and connection each time (a tenth of a second: most of a one-order
    # UTMify request).
    clients: dict[str, HttpClient] = {}
    try:
        for group in await _due_groups(crm, organization_id, now):
            budget = config.max_batches

            async def lane(group: AccountGroup = group) -> None:
                nonlocal budget
                while budget > 0:
                    budget -= 1
                    if not await _sync_batch(crm, bi, keyring, config, group, now, report, clients):
                        return

            await asyncio.gather(*(lane() for _ in range(max(1, config.concurrency))))
    finally:
        for client in clients.values():
            await client.aclose()
    return report


async def _due_groups(
    crm: TransactionBoundary, organization_id: uuid.UUID | None, now: datetime
) -> list[AccountGroup]:
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
    return [AccountGroup(*row) for row in rows]


async def _send(
    connector: Connector,
    events: list[dict[str, Any]],
    session: AsyncSession,
    keyring: Keyring,
    group: AccountGroup,
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
        outcome = BatchOutcome(
            ok=False,
            error=str(error),
            transient=error.transient,
            credential_rejected=not error.transient,
        )
    if not outcome.ok and outcome.http_status in (401, 403):
        outcome.credential_rejected = True
    return outcome, summary


async def _sync_batch(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    keyring: Keyring,
    config: SyncConfig,
    group: AccountGroup,
    now: datetime,
    report: SyncReport,
    clients: dict[str, HttpClient],
) -> bool:
    """Claim, send and record one batch of the group; False when the group is done."""
    connector = CONNECTORS[group.platform]
    async with crm.unit(Scope.organization(group.organization_id)) as session:
        gate = await breakers.gate(session, group, now)
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
        journeys = await clicks.journeys(bi, session, group.organization_id, conversions.values())
        rules = await conversion_settings.current(session)
        batch_id = uuid7()
        attempted_at = datetime.now(UTC)
        outcomes = BatchChanges(group.platform)
        chosen: dict[uuid.UUID, clicks.PlatformClick | None] = {}
        ready: list[tuple[ConversionSync, OfflineConversion, dict[str, Any]]] = []
        for sync in syncs:
            conversion = conversions[sync.conversion_id]
            action = conversion_settings.action_of(
                rules, conversion.conversion_name, group.platform
            )
            record, chosen[sync.conversion_id] = clicks.for_platform(
                records.record_of(conversion, leads.get(conversion.lead_id), action),
                group.platform,
                journeys.get(conversion.conversion_id, []),
                credited_id=conversion.original_tracking_id,
            )
            # Decided again with this platform's click: the window, the age limits and
            # what the platform can match on.
            status, reason = records.initial_status(
                connector,
                record,
                has_account=True,
                window_days=conversion_settings.window_days(
                    rules, conversion.conversion_name, group.platform
                ),
                now=now,
            )
            if status != "pending":
                outcomes.set_status(sync, status, reason)
                if status == "expired":
                    report.expired += 1
                else:
                    report.not_applicable += 1
                continue
            not_before = connector.not_before(record)
            if not_before is not None and not_before > now:
                # Too recent for the platform (Google's 6-hour click age): not an attempt,
                # it waits, pending, until the platform takes it.
                outcomes.set_status(
                    sync,
                    "pending",
                    Reason(
                        f"Waiting until {not_before.isoformat(timespec='seconds')}: "
                        f"{connector.platform} does not accept it earlier.",
                        "waiting",
                        platform=connector.platform,
                        until=not_before.isoformat(),
                    ),
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
        await clicks.record_clicks(session, group.platform, chosen)
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
                    error_message = Reason(
                        f"Gave up after {attempt} attempts: {error_message}",
                        "gave_up",
                        attempts=attempt,
                        message=str(error_message),
                    )
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
                    error_message = Reason(
                        f"Gave up after {attempt} attempts: {error_message}",
                        "gave_up",
                        attempts=attempt,
                        message=str(error_message),
                    )
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
        # Refresh tokens the platform rotated while sending, written back to the vault.
        await platform_oauth.persist_rotations(session, keyring)
        if summary:  # the platform was called (not a configuration problem)
            await breakers.record(
                session,
                group,
                outcome,
                now,
                failures_to_open=config.breaker_failures,
                cooldown_seconds=config.breaker_cooldown_seconds,
            )
        # A half-open breaker lets one batch through per run.
        return gate == "closed"
