"""The platforms' health, as the dashboard's cards tell it.

Each platform with a connector is in one state, with its reason:

- `not_configured`: no active credential of the platform's service (`no_credential`);
- `failing` — the account must be looked at, sending is stopped: the platform refused the
  credential at its last use and it was not changed since (`credential_rejected`:
  reconnect it), or a circuit breaker is open after repeated transient failures
  (`breaker_open`);
- `degraded`: at least `DEGRADED_MIN_ATTEMPTS` attempts in the last 24 hours and at least
  `DEGRADED_ERROR_RATE` of them failed (`error_rate`), or a breaker is half-open, trying
  one batch after its cool-down (`breaker_testing`);
- `healthy`: none of the above (`None`).

The minimum number of attempts keeps one unlucky request out of the alarm: 1 failure in
2 attempts is 50 % but says little; 5 attempts of which 1 failed already count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.conversions.connectors import CONNECTORS
from rastro.conversions.models import CircuitBreaker, ConversionSync, PlatformSyncLog
from rastro.core.pagination import PageParams

DEGRADED_ERROR_RATE = 0.2
DEGRADED_MIN_ATTEMPTS = 5
STATES = ("not_configured", "healthy", "degraded", "failing")
REASONS = ("no_credential", "credential_rejected", "breaker_open", "breaker_testing", "error_rate")


@dataclass(frozen=True)
class PlatformHealth:
    platform: str
    state: str  # STATES
    reason: str | None  # REASONS; None when healthy
    last_success_at: datetime | None
    attempts_24h: int
    failed_24h: int
    error_rate_24h: float | None
    queue_length: int
    breaker_state: str  # closed | half_open | open (the worst of the platform's accounts)
    breaker_open_until: datetime | None
    credential_rejected_at: datetime | None


_BREAKER_ORDER = {"closed": 0, "half_open": 1, "open": 2}


def health_state(
    *,
    configured: bool,
    credential_rejected: bool,
    breaker_state: str,
    attempts_24h: int,
    failed_24h: int,
) -> tuple[str, str | None]:
    """The state and reason of a platform from its facts (the rules of the module doc)."""
    if not configured:
        return "not_configured", "no_credential"
    if credential_rejected:
        return "failing", "credential_rejected"
    if breaker_state == "open":
        return "failing", "breaker_open"
    if breaker_state == "half_open":
        return "degraded", "breaker_testing"
    if attempts_24h >= DEGRADED_MIN_ATTEMPTS and failed_24h >= DEGRADED_ERROR_RATE * attempts_24h:
        return "degraded", "error_rate"
    return "healthy", None


async def platform_health(
    session: AsyncSession, *, now: datetime | None = None
) -> list[PlatformHealth]:
    """Per platform with a connector: its state and reason, last success, error rate of
    the last 24 hours, deliveries waiting, the breaker."""
    now = now or datetime.now(UTC)
    since = now - timedelta(hours=24)
    out: list[PlatformHealth] = []
    for platform, connector in CONNECTORS.items():
        rows, _ = await credentials.list_credentials(
            session, PageParams(page=1, page_size=200), service=connector.credential_service
        )
        active = {row.id: row for row in rows if row.is_active}
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
        breakers = [
            breaker
            for breaker in await session.scalars(
                select(CircuitBreaker).where(CircuitBreaker.platform == platform)
            )
            if breaker.credential_id in active
        ]
        worst = max(breakers, key=lambda b: _BREAKER_ORDER.get(b.state, 0), default=None)
        # A credential changed after its rejection (reconnected) is given its chance again.
        rejected = [
            b.credential_rejected_at
            for b in breakers
            if b.credential_rejected_at is not None
            and active[b.credential_id].updated_at <= b.credential_rejected_at
        ]
        breaker_state = worst.state if worst else "closed"
        state, reason = health_state(
            configured=bool(active),
            credential_rejected=bool(rejected),
            breaker_state=breaker_state,
            attempts_24h=int(attempts),
            failed_24h=int(failed),
        )
        out.append(
            PlatformHealth(
                platform=platform,
                state=state,
                reason=reason,
                last_success_at=last_success,
                attempts_24h=int(attempts),
                failed_24h=int(failed),
                error_rate_24h=(failed / attempts) if attempts else None,
                queue_length=int(queue or 0),
                breaker_state=breaker_state,
                breaker_open_until=worst.open_until if worst and worst.state == "open" else None,
                credential_rejected_at=max(rejected) if rejected else None,
            )
        )
    return out
