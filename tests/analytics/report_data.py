"""Generated data for the report tests, and the same questions asked of the raw tables.

`make_dataset` writes several days of sessions (with their touch and events) across
campaigns, channels, landing pages and variants, leads captured on them that move to
qualified and won over the following days (one won deal in another currency), a bot session
and a session at 01:30 UTC (the previous São Paulo day). `raw_*` read the raw rows back
(sessions / utm_tracking / events in BI, leads / lead_stages in CRM) and `recount` answers
a report's question from them in plain Python.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select, update

from rastro.core.db import Databases, Scope
from rastro.crm.models import Deal, Lead, LeadStage
from rastro.tracking.models import Event, TrackedSession, UtmTracking
from tests.analytics.factories import refresh
from tests.crm.factories import make_leads
from tests.tracking.factories import Site, make_site

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
QUALIFIED = ("qualified", "proposal", "negotiation", "won")
SCORES = {"A": 4, "B": 3, "C": 2, "D": 1}
DIMENSIONS = ("channel", "source", "medium", "campaign", "content", "term", "device")

TOUCHES: list[dict[str, Any]] = [
    {"channel": "Paid Search", "source": "google", "medium": "cpc", "campaign": "spring",
     "content": "ad1", "term": "crm"},
    {"channel": "Paid Search", "source": "google", "medium": "cpc", "campaign": "spring",
     "content": "ad2", "term": "erp"},
    {"channel": "Paid Search", "source": "google", "medium": "cpc", "campaign": "summer",
     "content": "ad1", "term": None},
    {"channel": "Paid Social", "source": "facebook", "medium": "paid", "campaign": "promo",
     "content": "video", "term": None},
    {"channel": "Organic Search", "source": "google", "medium": "organic", "campaign": None,
     "content": None, "term": None},
    {"channel": "Direct", "source": None, "medium": None, "campaign": None, "content": None,
     "term": None},
]  # fmt: skip


def sp_today() -> date:
    return datetime.now(SAO_PAULO).date()


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC instants of São Paulo's midnight of `first` and of the day after `last`."""
    start = datetime.combine(first, time(0), tzinfo=SAO_PAULO).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=SAO_PAULO).astimezone(UTC)
    return start, end


@dataclass
class Dataset:
    site: Site
    organization_id: uuid.UUID
    domain_id: uuid.UUID
    pages: list[dict[str, Any]]
    other_currency_lead: uuid.UUID
    edge_session: str  # started 01:30 UTC on `edge_day` + 1: São Paulo's `edge_day`
    edge_day: date


async def _page(client: httpx.AsyncClient, site: Site, **fields: Any) -> dict[str, Any]:
    body = {"domain_id": site.domain["domain_id"], **fields}
    response = await client.post("/api/landing-pages", headers=site.headers, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def make_dataset(
    client: httpx.AsyncClient, databases: Databases, *, days: int = 20
) -> Dataset:
    """Sessions over the last `days` São Paulo days, leads and outcomes; rollups refreshed
    (more than a month back needs the event tables' older partitions: `ensure_partitions`)."""
    rng = random.Random(17)
    site = await make_site(client, databases)
    org = site.account.organization_id
    domain_id = uuid.UUID(site.domain["domain_id"])
    pages = [
        await _page(client, site, page_url="https://shop.example.com/oferta", page_name="Oferta",
                    page_variant="A", is_control=True),
        await _page(client, site, page_url="https://shop.example.com/oferta-b",
                    page_name="Oferta", page_variant="B"),
        await _page(client, site, page_url="https://shop.example.com/webinar",
                    page_name="Webinar"),
        await _page(client, site, page_url="https://shop.example.com/old", page_name="Old",
                    is_active=False),
    ]  # fmt: skip
    page_ids: list[uuid.UUID | None] = [uuid.UUID(p["page_id"]) for p in pages[:3]] + [None]
    today = sp_today()
    edge_day = today - timedelta(days=5)
    moments = []
    for days_ago in range(days, 0, -1):
        local_day = today - timedelta(days=days_ago)
        for _ in range(rng.randint(4, 8)):
            local = datetime.combine(local_day, time(rng.randint(0, 23), rng.randint(0, 59)))
            moments.append(local.replace(tzinfo=SAO_PAULO).astimezone(UTC))
    # 01:30 UTC the day after `edge_day` is 22:30 of `edge_day` in São Paulo.
    edge = datetime.combine(edge_day + timedelta(days=1), time(1, 30), tzinfo=UTC)
    moments.append(edge)
    sessions: list[tuple[str, datetime, uuid.UUID, uuid.UUID | None, str, dict[str, Any]]] = []
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        for n, started in enumerate(moments):
            session_id = f"rp{n:08d}{uuid.uuid4().hex[:8]}.x"
            visitor = f"v{rng.randint(1, 60)}"
            touch = rng.choice(TOUCHES)
            page_id = rng.choice(page_ids)
            device = rng.choice(["mobile", "desktop"])
            is_bot = n % 37 == 5
            bi.add(
                TrackedSession(
                    session_id=session_id,
                    domain_id=domain_id,
                    first_page_id=page_id,
                    visitor_id=visitor,
                    client_session_id=session_id[:-2],
                    started_at=started,
                    last_activity_at=started + timedelta(minutes=5),
                    total_page_views=rng.randint(1, 4),
                    total_events=2,
                    return_visits=rng.choice([0, 0, 1]),
                    is_bot=is_bot,
                    channel=touch["channel"],
                )
            )
            tracking_id = uuid.uuid4()
            bi.add(
                UtmTracking(
                    tracking_id=tracking_id,
                    created_at=started,
                    session_id=session_id,
                    visitor_id=visitor,
                    domain_id=domain_id,
                    page_id=page_id,
                    utm_source=touch["source"],
                    utm_medium=touch["medium"],
                    utm_campaign=touch["campaign"],
                    utm_content=touch["content"],
                    utm_term=touch["term"],
                    channel=touch["channel"],
                    device=device,
                )
            )
            kinds = rng.choice([[], ["click"], ["form_start"], ["form_start", "form_start"],
                                ["form_start", "click", "scroll"]])  # fmt: skip
            for i, kind in enumerate(kinds):
                bi.add(
                    Event(
                        event_id=uuid.uuid4(),
                        created_at=started + timedelta(minutes=1 + i),
                        session_id=session_id,
                        page_id=page_id,
                        event_type=kind,
                    )
                )
            if not is_bot:
                sessions.append((session_id, started, tracking_id, page_id, visitor, touch))
    edge_session = sessions[-1][0]
    won_ids: list[uuid.UUID] = []
    for session_id, started, tracking_id, page_id, visitor, _touch in sessions:
        if rng.random() > 0.45 and session_id != edge_session:
            continue
        created = started + timedelta(minutes=rng.randint(2, 50))
        (lead,) = await make_leads(
            databases,
            org,
            score=rng.choice("ABCD"),
            # The lead's snapshot differs from its touch: the touch must win.
            source="snapshot",
            medium="snapshot",
            campaign="snapshot",
            channel="Referral",
            created_at=created,
            visitor_id=visitor,
            session_id=session_id,
            utm_tracking_id=tracking_id,
            page_id=page_id,
            domain_id=domain_id,
            time_to_conversion=rng.choice([None, 60, 600, 3600, 86400]),
        )
        await _move(databases, org, lead.lead_id, created, rng, won_ids)
    # A lead without a touch: its own snapshot gives the dimensions.
    loose_day = today - timedelta(days=6)
    loose_at = day_bounds(loose_day, loose_day)[0] + timedelta(hours=13)
    (loose,) = await make_leads(
        databases, org, source="newsletter", medium="email", campaign="spring",
        channel="Email", created_at=loose_at,
    )  # fmt: skip
    await _move(databases, org, loose.lead_id, loose_at, rng, won_ids)
    # One won deal in another currency (the organization's is BRL), closed in the CRM.
    other = won_ids[len(won_ids) // 2]
    async with databases.crm.transaction(Scope.organization(org)) as crm:
        crm.add(
            Deal(
                lead_id=other,
                name="Export",
                currency="USD",
                stage="won",
                closed_at=datetime.now(UTC),
            )
        )
    await refresh(databases, org)
    return Dataset(site, org, domain_id, pages, other, edge_session, edge_day)


async def _move(
    databases: Databases,
    org: uuid.UUID,
    lead_id: uuid.UUID,
    created: datetime,
    rng: random.Random,
    won_ids: list[uuid.UUID],
) -> None:
    """Some leads reach qualified a day later, some of those are won 1-4 days after."""
    outcome = rng.choice(["new", "qualified", "won", "won", "lost"])
    if outcome == "new":
        return
    now = datetime.now(UTC)
    moves = [("qualified", created + timedelta(hours=rng.randint(2, 30)), None)]
    value = Decimal(rng.randint(100, 5000)) + Decimal("0.50")
    if outcome == "won":
        moves.append(("won", moves[0][1] + timedelta(hours=rng.randint(20, 96)), value))
    if outcome == "lost":
        moves.append(("lost", moves[0][1] + timedelta(hours=30), None))
    moves = [m for m in moves if m[1] < now]
    async with databases.crm.transaction(Scope.organization(org)) as crm:
        for stage, at, amount in moves:
            crm.add(
                LeadStage(
                    lead_id=lead_id,
                    stage_name=stage,
                    stage_value=amount,
                    probability=50,
                    changed_by="system",
                    created_at=at,
                )
            )
        if moves:
            stage, _, amount = moves[-1]
            await crm.execute(
                update(Lead)
                .where(Lead.lead_id == lead_id)
                .values(current_stage=stage, stage_value=amount)
            )
            if stage == "won":
                won_ids.append(lead_id)


# --- the raw tables, read back -----------------------------------------------------------


@dataclass(frozen=True)
class RawSession:
    session_id: str
    visitor_id: str
    started_at: datetime
    dims: dict[str, Any]  # domain_id, landing_page_id and DIMENSIONS
    events: tuple[str, ...]


@dataclass(frozen=True)
class RawLead:
    lead_id: uuid.UUID
    created_at: datetime
    dims: dict[str, Any]
    score: int
    time_to_conversion: int | None
    qualified_at: datetime | None
    won_at: datetime | None
    revenue: Decimal | None
    currency: str


async def raw_sessions(databases: Databases, org: uuid.UUID) -> list[RawSession]:
    """Human sessions with their first touch's dimensions and their events' types."""
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        sessions = (await bi.scalars(select(TrackedSession))).all()
        touches = (await bi.scalars(select(UtmTracking))).all()
        events = (await bi.execute(select(Event.session_id, Event.event_type))).all()
    first = {t.session_id: t for t in sorted(touches, key=lambda t: t.created_at, reverse=True)}
    typed: dict[str, list[str]] = defaultdict(list)
    for session_id, kind in events:
        typed[session_id].append(kind)
    result = []
    for s in sessions:
        if s.is_bot:
            continue
        t = first[s.session_id]
        dims = {
            "domain_id": s.domain_id,
            "landing_page_id": s.first_page_id,
            "channel": t.channel,
            "source": t.utm_source,
            "medium": t.utm_medium,
            "campaign": t.utm_campaign,
            "content": t.utm_content,
            "term": t.utm_term,
            "device": t.device,
        }
        result.append(
            RawSession(s.session_id, s.visitor_id, s.started_at, dims, tuple(typed[s.session_id]))
        )
    return result


async def raw_leads(databases: Databases, org: uuid.UUID) -> list[RawLead]:
    """Leads with their credited touch's dimensions (their snapshot when none) and outcome
    (revenue in the currency of the lead's won deal, BRL when it has none)."""
    async with databases.crm.transaction(Scope.organization(org)) as crm:
        leads = (await crm.scalars(select(Lead))).all()
        stages = (await crm.scalars(select(LeadStage))).all()
        deals = (await crm.scalars(select(Deal).where(Deal.stage == "won"))).all()
    currencies = {d.lead_id: d.currency for d in deals}
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        touches = {t.tracking_id: t for t in (await bi.scalars(select(UtmTracking))).all()}
    history: dict[uuid.UUID, list[LeadStage]] = defaultdict(list)
    for stage in stages:
        history[stage.lead_id].append(stage)
    result = []
    for lead in leads:
        t = touches.get(lead.utm_tracking_id) if lead.utm_tracking_id else None
        dims = {
            "domain_id": lead.domain_id,
            "landing_page_id": lead.page_id,
            "channel": t.channel if t else lead.channel,
            "source": t.utm_source if t else lead.source,
            "medium": t.utm_medium if t else lead.medium,
            "campaign": t.utm_campaign if t else lead.campaign,
            "content": t.utm_content if t else None,
            "term": t.utm_term if t else None,
            "device": t.device if t else None,
        }
        moves = history[lead.lead_id]
        qualified = [m.created_at for m in moves if m.stage_name in QUALIFIED]
        won = [m.created_at for m in moves if m.stage_name == "won"]
        is_won = lead.current_stage == "won"
        result.append(
            RawLead(
                lead_id=lead.lead_id,
                created_at=lead.created_at,
                dims=dims,
                score=SCORES[lead.lead_score],
                time_to_conversion=lead.time_to_conversion,
                qualified_at=min(qualified) if qualified else None,
                won_at=max(won) if won and is_won else None,
                revenue=lead.stage_value if is_won else None,
                currency=currencies.get(lead.lead_id, "BRL"),
            )
        )
    return result


# --- the reports' questions, answered from the raw rows ---------------------------------


def _within(moment: datetime | None, bounds: tuple[datetime, datetime]) -> bool:
    return moment is not None and bounds[0] <= moment < bounds[1]


def zero_row() -> dict[str, Any]:
    """A recount row with nothing in it."""
    return {
        "sessions": 0, "visitors": set(), "form_starts": 0, "leads": 0, "qualified": 0,
        "won": 0, "revenue": defaultdict(Decimal), "won_in": defaultdict(int), "score": 0,
        "ttc": 0, "ttc_n": 0, "cycle": 0,
    }  # fmt: skip


def recount(
    sessions: Iterable[RawSession],
    leads: Iterable[RawLead],
    bounds: tuple[datetime, datetime],
    key: Callable[[dict[str, Any]], Any],
    filters: dict[str, Any] | None = None,
) -> dict[Any, dict[str, Any]]:
    """Per key of the dimensions: the period's sessions, visitors, form starts, leads,
    qualified, won, revenue per currency and the sums behind the averages."""
    wanted = filters or {}

    def kept(dims: dict[str, Any]) -> bool:
        return all(dims.get(name) == value for name, value in wanted.items())

    rows: dict[Any, dict[str, Any]] = defaultdict(zero_row)
    for s in sessions:
        if kept(s.dims) and _within(s.started_at, bounds):
            row = rows[key(s.dims)]
            row["sessions"] += 1
            row["visitors"].add(s.visitor_id)
            row["form_starts"] += "form_start" in s.events
    for lead in leads:
        if not kept(lead.dims):
            continue
        if _within(lead.created_at, bounds):
            row = rows[key(lead.dims)]
            row["leads"] += 1
            row["score"] += lead.score
            if lead.time_to_conversion is not None:
                row["ttc"] += lead.time_to_conversion
                row["ttc_n"] += 1
        if _within(lead.qualified_at, bounds):
            rows[key(lead.dims)]["qualified"] += 1
        if lead.won_at is not None and _within(lead.won_at, bounds):
            row = rows[key(lead.dims)]
            row["won"] += 1
            row["revenue"][lead.currency] += lead.revenue or Decimal(0)
            row["won_in"][lead.currency] += 1
            row["cycle"] += round((lead.won_at - lead.created_at).total_seconds())
    return dict(rows)


def rate(part: float, whole: float) -> float | None:
    return part / whole if whole else None
