"""Running spend imports: an ad account's range of days, asked from its platform in
windows (`SpendConnector.window_days`), each page upserted on the natural key, the run
logged with its progress (`ad_spend_imports`).

The job boundary owns the transactions (`TransactionBoundary`, as the conversions sync):
the run's start, every batch of rows and every finished window is one unit of work, so a
backfill shows its progress while it runs and a run killed midway keeps what it wrote
(running it again rewrites the same keys). Batches commit without waiting for the disk
(`synchronous_commit` off for them): a crash of the database can lose a running import's
last moments of batches, never a finished run's. Writes run in the background while the next
page is fetched (`_Writes`: one write at a time, in order), so the platform's answer and
PostgreSQL's upsert overlap instead of adding up. A transient failure (429, 5xx, a rate-limit
code, a timeout, a broken stream) retries the window with exponential backoff and full
jitter (`RetryPolicy`, at least the platform's Retry-After); an expired token is
refreshed by the conversions module's OAuth (`platform_oauth`), and a token that cannot
be refreshed fails the run with an auth error in the log.

Where the platform reports single clicks (Google's `click_view`), the run also imports each
day's click ids with their campaign, ad group and ad, for the days the platform still keeps
(`SpendConnector.click_days`), one request per day: the spend join's first rule.

The daily run imports, for every active account, the last `RESTATE_DAYS` days up to
yesterday in the account's timezone: yesterday is new, the 27 days before it are
re-imported because the platforms restate recent figures.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import structlog
from sqlalchemy import select, text

from rastro.analytics.ad_models import AdAccount, AdSpendImport
from rastro.analytics.service import spend
from rastro.analytics.spend import CONNECTORS
from rastro.analytics.spend.base import ClickRow, ReportError, SpendConnector, SpendRow
from rastro.auth.service import credentials
from rastro.auth.service.credentials import ResolvedCredential
from rastro.core.db import SYSTEM, Scope
from rastro.core.errors import NotFound
from rastro.core.http import HttpClient, RetryPolicy
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary

log = structlog.get_logger(__name__)

RESTATE_DAYS = 28
MAX_BACKFILL_DAYS = 397  # 13 months
FLUSH_ROWS = 5000
MAX_LOGGED_ERRORS = 50
_NO_WAIT = text("SET LOCAL synchronous_commit TO off")


@dataclass(frozen=True)
class ImportConfig:
    timeout: float = 60.0
    # Tries of one window (the first and the retries after transient failures).
    window_attempts: int = 6
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(base_delay=2.0, max_delay=120.0))
    # In-place retries of one HTTP call (429/5xx) before the window's own retry.
    http_retry: RetryPolicy = field(
        default_factory=lambda: RetryPolicy(attempts=3, base_delay=1.0, max_delay=60.0)
    )


class ImportFailed(Exception):
    """The run (or a URL check) cannot go on: `auth` when the credential is the cause."""

    def __init__(self, message: str, *, auth: bool = False) -> None:
        super().__init__(message)
        self.auth = auth


def account_today(account: AdAccount, now: datetime) -> date:
    """Today in the account's timezone."""
    return now.astimezone(ZoneInfo(account.timezone)).date()


def daily_range(account: AdAccount, now: datetime) -> tuple[date, date]:
    """The daily run's days: the last `RESTATE_DAYS` up to yesterday, the account's days."""
    yesterday = account_today(account, now) - timedelta(days=1)
    return yesterday - timedelta(days=RESTATE_DAYS - 1), yesterday


def backfill_range(account: AdAccount, months: int, now: datetime) -> tuple[date, date]:
    """`months` months (at most 13) up to yesterday in the account's days."""
    yesterday = account_today(account, now) - timedelta(days=1)
    year, month = divmod(yesterday.year * 12 + yesterday.month - 1 - months, 12)
    start = date(year, month + 1, min(yesterday.day, 28)) + timedelta(days=1)
    return max(start, yesterday - timedelta(days=MAX_BACKFILL_DAYS - 1)), yesterday


def windows(start: date, end: date, days: int) -> Iterator[tuple[date, date]]:
    """`start`..`end` in consecutive windows of at most `days` days."""
    first = start
    while first <= end:
        last = min(end, first + timedelta(days=days - 1))
        yield first, last
        first = last + timedelta(days=1)


async def run_import(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    keyring: Keyring,
    config: ImportConfig,
    *,
    organization_id: uuid.UUID,
    import_id: uuid.UUID,
    clients: dict[str, HttpClient] | None = None,
) -> AdSpendImport | None:
    """Run one queued import (idempotent: a finished run is left as it is); returns the
    run as logged, None when it does not exist."""
    scope = Scope.organization(organization_id)
    started = time.monotonic()
    async with bi.unit(scope) as session:
        run = await session.get(AdSpendImport, import_id, with_for_update=True)
        if run is None or run.status in ("succeeded", "failed"):
            return run
        account = await session.get(AdAccount, run.ad_account_id) if run.ad_account_id else None
        run.status = "running"
        run.started_at = datetime.now(UTC)
        run.days_done, run.rows, run.errors, run.error = 0, 0, [], None
    own_clients = clients is None
    clients = {} if clients is None else clients
    errors: list[dict[str, Any]] = []
    rows = 0
    writes = _Writes()
    status, message = "succeeded", None
    try:
        if account is None or run.date_from is None or run.date_to is None:
            raise ImportFailed("The ad account was removed.")
        connector = CONNECTORS[account.platform]
        credential = await resolve_account_credential(crm, keyring, scope, account, connector)
        http = _client(clients, credential, config)
        origin = spend.RowOrigin(
            organization_id=organization_id,
            platform=account.platform,
            account_id=account.account_id,
            timezone=account.timezone,
            import_id=import_id,
            source="api",
        )
        run_of = _Run(
            bi, scope, connector, account, credential, http, origin, config, errors, writes
        )
        for first, last in windows(run.date_from, run.date_to, connector.window_days):
            rows += await _window(run_of, first, last)
            days = (last - first).days + 1
            # Logged once the window's rows are stored (the write before it, in order).
            await writes.submit(partial(_progress, bi, scope, import_id, days, rows, errors))
        if connector.click_days:
            clicks = await _clicks(run_of, run.date_from, run.date_to)
            log.info("analytics.clicks_imported", import_id=str(import_id), clicks=clicks)
        await writes.drain()
    except ImportFailed as failure:
        status, message = "failed", str(failure)
        errors.append({"error": "auth" if failure.auth else "import", "message": str(failure)})
    finally:
        await writes.settle()
        if own_clients:
            for client in clients.values():
                await client.aclose()
    async with bi.unit(scope) as session:
        logged = await session.get(AdSpendImport, import_id, with_for_update=True)
        assert logged is not None
        logged.status = status
        logged.error = message
        logged.rows = rows
        logged.errors = errors[-MAX_LOGGED_ERRORS:]
        logged.finished_at = datetime.now(UTC)
        logged.duration_ms = int((time.monotonic() - started) * 1000)
        if status == "succeeded" and account is not None:
            stored = await session.get(AdAccount, account.id)
            if stored is not None:
                stored.last_imported_at = logged.finished_at
        log.info(
            "analytics.spend_imported",
            import_id=str(import_id),
            platform=logged.platform,
            status=status,
            rows=rows,
            errors=len(errors),
            duration_ms=logged.duration_ms,
        )
        return logged


async def resolve_account_credential(
    crm: TransactionBoundary,
    keyring: Keyring,
    scope: Scope,
    account: AdAccount,
    connector: SpendConnector,
) -> ResolvedCredential:
    async with crm.unit(scope) as session:
        try:
            stored = await credentials.get_credential(session, account.credential_id)
        except NotFound:
            raise ImportFailed("The account's credential was removed.", auth=True) from None
        if not stored.is_active:
            raise ImportFailed("The account's credential is inactive.", auth=True)
        if stored.service not in connector.credential_services:
            raise ImportFailed("The account's credential is not for this platform.", auth=True)
        credential = await credentials.resolve_credential(session, keyring, account.credential_id)
    if not credential.base_url:
        raise ImportFailed("The account's credential has no API URL.")
    return credential


@asynccontextmanager
async def client_for(
    credential: ResolvedCredential, config: ImportConfig
) -> AsyncIterator[HttpClient]:
    """An HTTP client on the credential's API URL, closed afterwards."""
    assert credential.base_url is not None
    http = HttpClient(credential.base_url, timeout=config.timeout, retry=config.http_retry)
    try:
        yield http
    finally:
        await http.aclose()


def _client(
    clients: dict[str, HttpClient], credential: ResolvedCredential, config: ImportConfig
) -> HttpClient:
    assert credential.base_url is not None
    http = clients.get(credential.base_url)
    if http is None:
        http = HttpClient(credential.base_url, timeout=config.timeout, retry=config.http_retry)
        clients[credential.base_url] = http
    return http


@dataclass(frozen=True)
class _Run:
    """What a run's windows share: where rows go, who answers, the log of errors."""

    bi: TransactionBoundary
    scope: Scope
    connector: SpendConnector
    account: AdAccount
    credential: ResolvedCredential
    http: HttpClient
    origin: spend.RowOrigin
    config: ImportConfig
    errors: list[dict[str, Any]]
    writes: _Writes


async def _window(run: _Run, first: date, last: date) -> int:
    """Import one window, retrying it whole after transient failures (its rows handed to
    `writes`; a retry writes the same keys again); returns its rows (distinct ad-days)."""
    ref = spend.account_ref(run.account)

    async def once() -> int:
        written = 0
        buffer: list[SpendRow] = []
        async for page in run.connector.report(ref, run.credential, run.http, first, last):
            buffer.extend(page)
            if len(buffer) >= FLUSH_ROWS:
                written += len({(row.ad_id, row.day) for row in buffer})
                await run.writes.submit(partial(_flush, run.bi, run.scope, run.origin, buffer))
                buffer = []
        written += len({(row.ad_id, row.day) for row in buffer})
        await run.writes.submit(partial(_flush, run.bi, run.scope, run.origin, buffer))
        return written

    return await _retried(once, first, last, run.config, run.errors)


async def _clicks(run: _Run, first: date, last: date) -> int:
    """Import the single clicks (click id → campaign, ad group, ad) of the range's days
    that the platform still reports (`click_days` back from the account's today), one day
    per request; returns how many clicks were written."""
    today = account_today(run.account, datetime.now(UTC))
    oldest = today - timedelta(days=run.connector.click_days - 1)
    ref = spend.account_ref(run.account)
    total = 0
    for day, _ in windows(max(first, oldest), last, 1):

        async def once(day: date = day) -> int:
            rows = await run.connector.clicks(ref, run.credential, run.http, day)
            await run.writes.submit(partial(_flush_clicks, run.bi, run.scope, run.origin, rows))
            return len({row.click_id for row in rows})

        total += await _retried(once, day, day, run.config, run.errors)
    return total


async def _retried(
    once: Callable[[], Awaitable[int]],
    first: date,
    last: date,
    config: ImportConfig,
    errors: list[dict[str, Any]],
) -> int:
    """`once()` for the days `first`..`last`, tried again after transient failures with
    backoff (each failure logged in `errors`); raises `ImportFailed` when it gives up."""
    for attempt in range(1, config.window_attempts + 1):
        try:
            return await once()
        except ReportError as error:
            failure, transient, retry_after = str(error), error.transient, error.retry_after
            if error.credential_rejected:
                raise ImportFailed(failure, auth=True) from None
        except httpx.TimeoutException:
            failure, transient, retry_after = "Timed out.", True, None
        except httpx.TransportError as error:
            failure, transient, retry_after = f"Network error: {type(error).__name__}", True, None
        errors.append(
            {
                "window": [first.isoformat(), last.isoformat()],
                "attempt": attempt,
                "message": failure,
            }
        )
        if not transient or attempt == config.window_attempts:
            raise ImportFailed(f"{first.isoformat()}..{last.isoformat()}: {failure}")
        await asyncio.sleep(config.retry.delay(attempt, retry_after))
    raise AssertionError("unreachable")


async def _flush(
    bi: TransactionBoundary, scope: Scope, origin: spend.RowOrigin, rows: list[SpendRow]
) -> None:
    if rows:
        async with bi.unit(scope) as session:
            # Committed without waiting for the disk: a batch lost to a crash of the
            # database in the next moments is written again by running the import again,
            # and the run's end (a durable commit) makes every batch before it durable.
            await session.execute(_NO_WAIT)
            await spend.store_rows(session, origin, rows)


async def _flush_clicks(
    bi: TransactionBoundary, scope: Scope, origin: spend.RowOrigin, rows: list[ClickRow]
) -> None:
    if rows:
        async with bi.unit(scope) as session:
            await spend.store_clicks(session, origin, rows)


async def _progress(
    bi: TransactionBoundary,
    scope: Scope,
    import_id: uuid.UUID,
    days: int,
    rows: int,
    errors: list[dict[str, Any]],
) -> None:
    async with bi.unit(scope) as session:
        logged = await session.get(AdSpendImport, import_id, with_for_update=True)
        assert logged is not None
        logged.days_done += days
        logged.rows = rows
        logged.errors = errors[-MAX_LOGGED_ERRORS:]


class _Writes:
    """An import's writes, one at a time and in order, in the background: `submit` waits
    for the write before (so of one key written twice the later wins, and at most one
    write runs ahead of the fetching) and starts the next; a failed write raises at the
    next `submit` or at `drain`."""

    def __init__(self) -> None:
        self._running: asyncio.Task[None] | None = None

    async def submit(self, write: Callable[[], Awaitable[None]]) -> None:
        await self.drain()
        self._running = asyncio.ensure_future(write())

    async def drain(self) -> None:
        """Wait for the running write (raising its error)."""
        if self._running is not None:
            running, self._running = self._running, None
            await running

    async def settle(self) -> None:
        """After a failure elsewhere: let the running write finish (its own error is not
        the failure to report)."""
        with suppress(Exception):
            await self.drain()


# --- scheduling ------------------------------------------------------------------------------


async def queue_daily(
    bi: TransactionBoundary, *, now: datetime | None = None
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Log a daily run for every active account that has none queued or running yet;
    returns (organization, run) pairs to import."""
    now = now or datetime.now(UTC)
    async with bi.unit(SYSTEM) as session:
        accounts = list(await session.scalars(select(AdAccount).where(AdAccount.is_active)))
        busy = set(
            await session.scalars(
                select(AdSpendImport.ad_account_id).where(
                    AdSpendImport.kind == "daily", AdSpendImport.status.in_(("queued", "running"))
                )
            )
        )
    queued: list[tuple[uuid.UUID, uuid.UUID]] = []
    for account in accounts:
        if account.id in busy:
            continue
        first, last = daily_range(account, now)
        async with bi.unit(Scope.organization(account.organization_id)) as session:
            run = await spend.create_import(
                session,
                kind="daily",
                platform=account.platform,
                account=account,
                date_from=first,
                date_to=last,
            )
        queued.append((account.organization_id, run.id))
    return queued
