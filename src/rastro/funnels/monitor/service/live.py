"""The funnel monitor's live events (seed 002): who watches a funnel, and what they hear.

* A dashboard client joins a funnel's room with `join_funnel` (`{"funnel_id": …}`),
  allowed only for a funnel of its organization (`funnel_allowed`, the hub's check).
* `visitor_online` / `visitor_step_change`: the collector stored a page view of a funnel's
  public page (`/f/[org/]funnel/step`); `place_visitor` puts the session on that step,
  records the step visit, and after that commit tells the funnel's watchers (a session
  that came from another funnel leaves that one's room with `visitor_offline`).
* `visitor_offline`: the tracking module's minute job, to the funnel of the session.
* `new_payment` / `payment_status_change`: a payment of the funnel was created or moved;
  written in the payment's own transaction (`publish_on_commit`), so watchers hear of it
  only once it is committed.

Every event names `funnel_id`; events of a payment without a funnel go to the
organization's room.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Databases, Scope
from rastro.core.errors import NotFound
from rastro.core.live import LiveTopic, publish_on_commit
from rastro.funnels.builder.service import funnels, steps
from rastro.funnels.monitor.service.visits import record_visit
from rastro.funnels.payments.schemas import PaymentStatusChanged
from rastro.funnels.payments.service import hooks as payment_hooks
from rastro.tracking.service import funnel_steps
from rastro.tracking.service import hooks as tracking_hooks
from rastro.tracking.service.funnel_steps import FunnelVisitor

TOPIC = "funnel"
STEP_CACHE_SECONDS = 30.0
_STEP_CACHE_SIZE = 10_000
_steps: dict[tuple[uuid.UUID, str, str], tuple[float, tuple[uuid.UUID, uuid.UUID] | None]] = {}


async def funnel_allowed(session: AsyncSession, funnel_id: uuid.UUID) -> bool:
    """Whether the funnel is the organization's (the session's scope)."""
    try:
        await funnels.get_funnel_row(session, funnel_id)
    except NotFound:
        return False
    return True


LIVE_TOPIC = LiveTopic(TOPIC, funnel_allowed)


def funnel_slugs(page_url: str) -> tuple[str, str] | None:
    """The (funnel slug, step slug) of a public step page's URL, or None for other pages:
    `/f/{organization}/{funnel}/{step}` or `/f/{funnel}/{step}` (an own domain)."""
    try:
        path = urlsplit(page_url).path
    except ValueError:
        return None
    parts = [unquote(part) for part in path.strip("/").split("/")]
    if len(parts) not in (3, 4) or parts[0] != "f" or parts[1].startswith("_"):
        return None
    funnel_slug, step_slug = parts[-2], parts[-1]
    if not funnel_slug or not step_slug or max(len(funnel_slug), len(step_slug)) > 100:
        return None
    return funnel_slug, step_slug


async def _step_ids(
    databases: Databases, organization_id: uuid.UUID, funnel_slug: str, step_slug: str
) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The step the slugs name (cached for `STEP_CACHE_SECONDS`)."""
    key = (organization_id, funnel_slug, step_slug)
    now = time.monotonic()
    cached = _steps.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    async with databases.crm.transaction(Scope.organization(organization_id)) as session:
        found = await steps.find_step(session, funnel_slug=funnel_slug, step_slug=step_slug)
    if len(_steps) >= _STEP_CACHE_SIZE:
        _steps.clear()
    _steps[key] = (now + STEP_CACHE_SECONDS, found)
    return found


def visitor_data(visitor: FunnelVisitor) -> dict[str, Any]:
    """A visitor as the monitor's events and snapshot carry it."""
    return {
        "session_id": visitor.session_id,
        "visitor_id": visitor.visitor_id,
        "funnel_id": str(visitor.funnel_id) if visitor.funnel_id else None,
        "step_id": str(visitor.step_id) if visitor.step_id else None,
        "started_at": visitor.started_at.isoformat(),
        "last_activity_at": visitor.last_activity_at.isoformat(),
        "channel": visitor.channel,
        "source": visitor.source,
        "medium": visitor.medium,
        "campaign": visitor.campaign,
        "device": visitor.device,
    }


@tracking_hooks.on_page_viewed
async def place_visitor(
    databases: Databases, publish: tracking_hooks.Publish, view: tracking_hooks.PageViewed
) -> None:
    """A page view of a funnel step: the session's step and visit, then the live event."""
    slugs = funnel_slugs(view.page_url)
    if slugs is None:
        return
    ids = await _step_ids(databases, view.organization_id, *slugs)
    if ids is None:
        return
    funnel_id, step_id = ids
    async with databases.bi.transaction(Scope.organization(view.organization_id)) as bi:
        placement = await funnel_steps.place_session(
            bi, session_id=view.session_id, funnel_id=funnel_id, step_id=step_id
        )
        if placement is None:
            return
        await record_visit(
            bi,
            organization_id=view.organization_id,
            visitor=placement.visitor,
            funnel_id=funnel_id,
            step_id=step_id,
            at=placement.visitor.last_activity_at or datetime.now(UTC),
        )
    # Committed: the watchers may hear of it.
    data = visitor_data(placement.visitor)
    # The step it came from (a page's GET writes nothing, so this is the session's last
    # page view's step; a form's POST, which places the session on its own step, comes
    # after that step's page view).
    previous = placement.previous_step_id
    data["previous_step_id"] = (
        str(previous)
        if previous and previous != step_id and placement.previous_funnel_id == funnel_id
        else None
    )
    arrived = view.new_session or placement.previous_funnel_id != funnel_id
    event = "visitor_online" if arrived else "visitor_step_change"
    await publish(view.organization_id, event, data, topic=(TOPIC, funnel_id))
    left = placement.previous_funnel_id
    if left is not None and left != funnel_id:
        gone = {"session_id": view.session_id, "funnel_id": str(left), "step_id": None}
        await publish(view.organization_id, "visitor_offline", gone, topic=(TOPIC, left))


def payment_data(change: PaymentStatusChanged) -> dict[str, Any]:
    return {
        "payment_id": str(change.payment_id),
        "funnel_id": str(change.funnel_id) if change.funnel_id else None,
        "step_id": str(change.step_id) if change.step_id else None,
        "session_id": change.session_id,
        "previous_status": change.previous,
        "status": change.status,
        "amount": str(change.amount),
        "currency": change.currency,
        "changed_at": change.changed_at.isoformat(),
    }


@payment_hooks.on_payment_status_changed
async def announce_payment(session: AsyncSession, change: PaymentStatusChanged) -> None:
    """`new_payment` or `payment_status_change` to the funnel's watchers, on commit."""
    event = "new_payment" if change.previous is None else "payment_status_change"
    topic = (TOPIC, change.funnel_id) if change.funnel_id else None
    await publish_on_commit(
        session, change.organization_id, event, payment_data(change), topic=topic
    )
