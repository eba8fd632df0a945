"""Circuit breakers per platform account: a platform that keeps failing is left alone for a
cool-down, then one trial batch decides whether it is back (`sync` asks and reports here)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.conversions.connectors.base import BatchOutcome
from rastro.conversions.models import CircuitBreaker

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class AccountGroup:
    """The deliveries a sync run sends together: one organization, platform and account."""

    organization_id: uuid.UUID
    platform: str
    credential_id: uuid.UUID | None


async def gate(session: AsyncSession, group: AccountGroup, now: datetime) -> str:
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


async def record(
    session: AsyncSession,
    group: AccountGroup,
    outcome: BatchOutcome,
    now: datetime,
    *,
    failures_to_open: int,
    cooldown_seconds: float,
) -> None:
    """Count the batch's outcome on the account's breaker: transient failures in a row open
    it (a failed trial at once), an answer closes it; a refused credential is marked."""
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
        if breaker.state == "half_open" or breaker.consecutive_failures >= failures_to_open:
            breaker.state = "open"
            breaker.opened_at = now
            breaker.open_until = now + timedelta(seconds=cooldown_seconds)
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
    if outcome.credential_rejected:
        breaker.credential_rejected_at = now
    elif outcome.ok:  # the credential was accepted
        breaker.credential_rejected_at = None
