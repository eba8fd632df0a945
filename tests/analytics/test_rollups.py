"""The rollups and the Overview against recounts over the raw tables: the organization's
days, incremental refresh equal to a full one, the newest minutes counted before any
refresh, lead outcomes copied through the outbox, and bad input."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text, update

from rastro.analytics.models import ConversionFact, RollupState
from rastro.analytics.service import facts, rollup_refresh, rollups
from rastro.core.db import Scope
from rastro.core.units import TransactionBoundary
from rastro.crm.models import Lead, LeadStage
from rastro.tracking.models import TrackedSession, UtmTracking
from tests.analytics.factories import Visit, add_visits, refresh
from tests.analytics.raw import ensure_partitions
from tests.crm.factories import make_leads
from tests.helpers import drain_jobs
from tests.tracking.factories import make_site

SP = ZoneInfo("America/Sao_Paulo")
CHANNELS = (
    ("Paid Search", "google", "cpc", "spring"),
    ("Paid Social", "facebook", "paid_social", "bf-remarketing"),
    ("Organic Search", "google", "organic", None),
    ("Direct", None, None, None),
)


def _sp_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SP).astimezone(UTC)


async def _generated(client, databases, *, days: int = 12, seed: int = 3):  # type: ignore[no-untyped-def]
    """A site with random visits over `days` São Paulo days (some at 01:30 UTC, which is the
    previous day in São Paulo), bots, returning visitors, and leads in several stages."""
    rng = random.Random(seed)
    site = await make_site(client, databases)
    org = site.account.organization_id
    today = datetime.now(SP).date()
    visits = []
    for d in range(days):
        day = today - timedelta(days=d + 1)
        for _ in range(rng.randint(3, 9)):
            channel, source, medium, campaign = rng.choice(CHANNELS)
            at = _sp_midnight(day) + timedelta(minutes=rng.randint(0, 24 * 60 - 1))
            visits.append(
                Visit(
                    at,
                    f"v{rng.randint(1, 25)}",
                    channel=channel,
                    source=source,
                    medium=medium,
                    campaign=campaign,
                    device=rng.choice(("mobile", "desktop")),
                    page_views=rng.randint(1, 4),
                    returning=rng.random() < 0.3,
                    is_bot=rng.random() < 0.1,
                )
            )
        # 01:30 UTC: 22:30 of the day before in São Paulo.
        utc_edge = datetime.combine(day, time(1, 30), tzinfo=UTC)
        visits.append(
            Visit(utc_edge, "v-edge", channel="Email", source="newsletter", medium="email")
        )
    await add_visits(databases, org, site.domain["domain_id"], visits)
    for d in range(days):
        created = _sp_midnight(today - timedelta(days=d + 1)) + timedelta(hours=rng.randint(0, 23))
        await make_leads(databases, org, rng.randint(0, 3), created_at=created, score="A")
        await make_leads(
            databases,
            org,
            1,
            stage="won",
            stage_value=Decimal(rng.choice(("100.00", "250.50"))),
            created_at=created,
            source="facebook",
            medium="paid_social",
            campaign="bf-remarketing",
            channel="Paid Social",
        )
    return site, org, today


async def _raw_counts(databases, org, start: datetime, end: datetime, channel: str | None = None):  # type: ignore[no-untyped-def]
    """The same questions asked of the raw tables (tracking's sessions and touches, the
    CRM's leads and stage history)."""
    scope = Scope.organization(org)
    async with databases.bi.transaction(scope) as bi:
        query = (
            select(
                func.count(),
                func.count(func.distinct(TrackedSession.visitor_id)),
            )
            .select_from(TrackedSession)
            .join(
                UtmTracking,
                (UtmTracking.session_id == TrackedSession.session_id)
                & (UtmTracking.created_at == TrackedSession.started_at),
            )
            .where(
                TrackedSession.is_bot.is_(False),
                TrackedSession.started_at >= start,
                TrackedSession.started_at < end,
            )
        )
        if channel:
            query = query.where(UtmTracking.channel == channel)
        sessions, visitors = (await bi.execute(query)).one()
    async with databases.crm.transaction(scope) as crm:
        lead_query = select(func.count()).where(Lead.created_at >= start, Lead.created_at < end)
        won_query = (
            select(func.count(), func.coalesce(func.sum(Lead.stage_value), 0))
            .select_from(Lead)
            .where(
                Lead.current_stage == "won",
                select(func.max(LeadStage.created_at))
                .where(LeadStage.lead_id == Lead.lead_id, LeadStage.stage_name == "won")
                .scalar_subquery()
                .between(start, end - timedelta(microseconds=1)),
            )
        )
        if channel:
            lead_query = lead_query.where(Lead.channel == channel)
            won_query = won_query.where(Lead.channel == channel)
        leads = await crm.scalar(lead_query)
        won, revenue = (await crm.execute(won_query)).one()
    return {
        "sessions": sessions,
        "visitors": visitors,
        "leads": leads,
        "won": won,
        "revenue": Decimal(revenue),
    }


def _totals(body) -> dict:  # type: ignore[no-untyped-def]
    totals = body["totals"]
    revenue = {m["currency"]: Decimal(m["amount"]) for m in totals["revenue"]}
    return {
        "sessions": totals["sessions"],
        "visitors": totals["visitors"],
        "leads": totals["leads"],
        "won": totals["won"],
        "revenue": revenue.get("BRL", Decimal(0)),
    }


@pytest.mark.parametrize("channel", [None, "Paid Social"])
async def test_overview_equals_a_recount_of_the_raw_tables(client, databases, channel):
    site, org, today = await _generated(client, databases)
    await refresh(databases, org)
    date_from, date_to = today - timedelta(days=7), today - timedelta(days=2)
    query = f"date_from={date_from}&date_to={date_to}" + (f"&channel={channel}" if channel else "")
    response = await client.get(f"/api/analytics/overview?{query}", headers=site.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    raw = await _raw_counts(
        databases, org, _sp_midnight(date_from), _sp_midnight(date_to + timedelta(days=1)), channel
    )
    assert raw["sessions"] > 0
    assert raw["won"] > 0
    assert _totals(body) == raw
    # The series' days add up to the totals, one point per São Paulo day.
    assert [p["date"] for p in body["series"]] == [
        str(date_from + timedelta(days=i)) for i in range(6)
    ]
    assert sum(p["sessions"] for p in body["series"]) == raw["sessions"]
    assert sum(Decimal(p["revenue"]) for p in body["series"]) == raw["revenue"]
    assert sum(r["sessions"] for r in body["by_channel"]) == raw["sessions"]
    assert sum(r["leads"] for r in body["by_campaign"]) == raw["leads"]


async def test_a_session_at_0130_utc_belongs_to_the_previous_sao_paulo_day(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    day = datetime.now(SP).date() - timedelta(days=3)
    edge = datetime.combine(day, time(1, 30), tzinfo=UTC)  # 22:30 of `day - 1` in São Paulo
    await add_visits(databases, org, site.domain["domain_id"], [Visit(edge, "v1")])
    await refresh(databases, org)
    headers = site.headers
    previous = day - timedelta(days=1)
    on_day = await client.get(
        f"/api/analytics/overview?date_from={day}&date_to={day}", headers=headers
    )
    on_previous = await client.get(
        f"/api/analytics/overview?date_from={previous}&date_to={previous}", headers=headers
    )
    assert on_day.json()["totals"]["sessions"] == 0
    assert on_previous.json()["totals"]["sessions"] == 1


async def _summary_rows(databases, org):  # type: ignore[no-untyped-def]
    """Every row of every level (days and months) of every rollup (without their row ids)."""
    found = {}
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        for rollup in (rollups.CONVERSIONS, rollups.EVENTS, rollups.PATHS):
            for level in (*rollup.levels, *(m for m in rollup.months if m is not None)):
                columns = [c for c in level.__table__.c if c.name != "row_id"]
                rows = await bi.execute(select(*columns))
                found[level.__tablename__] = sorted(json.dumps([str(v) for v in r]) for r in rows)
    return found


async def test_an_incremental_refresh_equals_a_full_one(client, databases, settings):
    site, org, _today = await _generated(client, databases, days=5)
    await refresh(databases, org)
    # Later: new visits now, and an old lead is won today (its won hour is new, its
    # creation hour is old).
    now = datetime.now(UTC)
    await add_visits(
        databases, org, site.domain["domain_id"], [Visit(now - timedelta(minutes=2), "late")]
    )
    async with databases.crm.transaction(Scope.organization(org)) as crm:
        old_lead = await crm.scalar(
            select(Lead.lead_id).where(Lead.current_stage == "new").order_by(Lead.created_at)
        )
    response = await client.post(
        f"/api/leads/{old_lead}/stages",
        headers=site.headers,
        json={"stage_name": "won", "stage_value": "999.00"},
    )
    assert response.status_code == 201, response.text
    await drain_jobs(settings, databases, queues=["outbox"])
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        fact = await bi.get(ConversionFact, old_lead)
        assert fact is not None
        assert fact.stage == "won"
        assert fact.revenue == Decimal("999.00")
        result = await rollup_refresh.refresh(bi, org, timezone=SP.key)
    assert not result.full
    incremental = await _summary_rows(databases, org)
    assert incremental["daily_conversions_summary"]
    assert incremental["daily_conversions_by_channel"]
    assert incremental["monthly_conversions_by_campaign"]
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        assert (await rollup_refresh.refresh(bi, org, timezone=SP.key, full=True)).full
    assert incremental == await _summary_rows(databases, org)


async def test_the_newest_minutes_are_counted_before_the_rollups_reach_them(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    await refresh(databases, org)
    now = datetime.now(UTC)
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        # As if the last refresh (of nothing) had run a minute ago.
        await bi.execute(update(RollupState).values(through=now - timedelta(minutes=1)))
    await add_visits(
        databases,
        org,
        site.domain["domain_id"],
        [Visit(now - timedelta(seconds=30), "fresh"), Visit(now - timedelta(seconds=20), "fresh")],
    )
    await make_leads(databases, org, 1, stage="won", stage_value=Decimal("50.00"))
    # The lead reaches conversion_facts through the outbox; here the rebuild stands in.
    # No refresh since the visits and the lead: they come from the raw rows.
    await facts.rebuild_facts(
        TransactionBoundary(databases.crm), TransactionBoundary(databases.bi), org
    )
    body = (await client.get("/api/analytics/overview?preset=today", headers=site.headers)).json()
    assert body["totals"]["sessions"] == 2
    assert body["totals"]["visitors"] == 1
    assert body["totals"]["won"] == 1
    assert body["live_visitors"] == 1


async def test_a_new_lead_reaches_the_reports_through_the_outbox(client, databases, settings):
    site = await make_site(client, databases)
    response = await client.post(
        "/api/leads",
        json={"site": site.key, "name": "Ana", "email": "ana@empresa.com.br"},
        headers={"origin": "https://loja.example.com.br"},
    )
    assert response.status_code in (200, 201, 303), response.text
    await drain_jobs(settings, databases, queues=["outbox"])
    await drain_jobs(settings, databases, queues=["outbox"])  # the listeners' own message
    body = (await client.get("/api/analytics/overview?preset=today", headers=site.headers)).json()
    assert body["totals"]["leads"] == 1
    assert body["by_channel"][0]["key"] == "Direct"


async def test_an_organization_without_data_gets_zeros_not_errors(client, databases):
    site = await make_site(client, databases)
    response = await client.get(
        "/api/analytics/overview?preset=last_30_days&compare=previous", headers=site.headers
    )
    assert response.status_code == 200, response.text
    assert "NaN" not in response.text
    body = response.json()
    assert body["totals"]["sessions"] == 0
    assert body["totals"]["conversion_rate"] is None
    assert body["totals"]["revenue"] == []
    assert body["previous"]["sessions"] == 0
    assert len(body["series"]) == 30
    assert len(body["previous_series"]) == 30
    assert body["range"]["data_through"] is None
    assert body["cost_note"] == "no_spend_data"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("date_from=2026-03-10&date_to=2026-03-01", "invalid_date_range"),
        ("date_from=2020-01-01&date_to=2022-06-01", "invalid_date_range"),
        ("date_from=2099-01-01&date_to=2099-01-02", "invalid_date_range"),
        ("channel=Telepathy", "validation_error"),
        ("device=toaster", "validation_error"),
        ("preset=forever", "validation_error"),
        ("compare=yesterday", "validation_error"),
        ("domain_id=not-a-uuid", "validation_error"),
        ("domain_id=0193f000-0000-7000-8000-000000000000", "unknown_reference"),
        ("source=" + "x" * 300, "validation_error"),
    ],
)
async def test_bad_report_filters_are_422(client, databases, query, code):
    site = await make_site(client, databases)
    response = await client.get(f"/api/analytics/overview?{query}", headers=site.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code


async def test_another_organizations_domain_is_refused_and_nothing_leaks(client, databases):
    site, org, _today = await _generated(client, databases, days=3)
    await refresh(databases, org)
    other = await make_site(client, databases)
    foreign = site.domain["domain_id"]
    response = await client.get(
        f"/api/analytics/overview?domain_id={foreign}", headers=other.headers
    )
    assert response.status_code == 422
    own = await client.get("/api/analytics/overview", headers=other.headers)
    assert own.json()["totals"]["sessions"] == 0


async def test_compare_with_last_year_shifts_the_dates(client, databases):
    site = await make_site(client, databases)
    body = (
        await client.get(
            "/api/analytics/overview?date_from=2026-03-01&date_to=2026-03-31&compare=year",
            headers=site.headers,
        )
    ).json()
    assert body["range"]["previous"]["date_from"] == "2025-03-01"
    assert body["range"]["previous"]["date_to"] == "2025-03-31"
    assert body["range"]["current"]["start"].startswith("2026-03-01T03:00:00")


async def test_refresh_needs_an_admin_and_reports_what_it_did(client, databases):
    site = await make_site(client, databases)
    first = await client.post("/api/analytics/refresh", headers=site.headers)
    assert first.status_code == 200, first.text
    assert first.json()["full"] is True
    second = await client.post("/api/analytics/refresh", headers=site.headers)
    assert second.json()["full"] is False


async def test_a_new_timezone_regroups_the_days_without_a_refresh(client, databases):
    from rastro.auth.models import Organization
    from rastro.core.db import SYSTEM

    site = await make_site(client, databases)
    org = site.account.organization_id
    day = datetime.now(SP).date() - timedelta(days=3)
    edge = datetime.combine(day, time(1, 30), tzinfo=UTC)
    await add_visits(databases, org, site.domain["domain_id"], [Visit(edge, "v1")])
    await refresh(databases, org)
    async with databases.crm.transaction(SYSTEM) as crm:
        await crm.execute(update(Organization).where(Organization.id == org).values(timezone="UTC"))
    body = (
        await client.get(
            f"/api/analytics/overview?date_from={day}&date_to={day}", headers=site.headers
        )
    ).json()
    assert body["totals"]["sessions"] == 1
    assert body["range"]["timezone"] == "UTC"


async def test_revenue_in_another_currency_is_shown_apart_never_summed(client, databases):
    from rastro.crm.models import Deal

    site = await make_site(client, databases)
    org = site.account.organization_id
    brl = await make_leads(databases, org, 1, stage="won", stage_value=Decimal("100.00"))
    usd = await make_leads(databases, org, 1, stage="won", stage_value=Decimal("40.00"))
    async with databases.crm.transaction(Scope.organization(org)) as crm:
        crm.add(
            Deal(
                lead_id=usd[0].lead_id,
                name="US deal",
                value=Decimal("40.00"),
                currency="USD",
                stage="won",
            )
        )
    await refresh(databases, org)
    body = (await client.get("/api/analytics/overview?preset=today", headers=site.headers)).json()
    assert body["totals"]["won"] == 2
    assert body["totals"]["revenue"] == [
        {"currency": "BRL", "amount": "100.00"},
        {"currency": "USD", "amount": "40.00"},
    ]
    assert body["other_currencies"] == ["USD"]
    assert sum(Decimal(p["revenue"]) for p in body["series"]) == Decimal("100.00")
    assert brl


async def test_live_visitors_are_the_sessions_active_in_five_minutes_begun_within_a_day(
    client, databases
):
    site = await make_site(client, databases)
    org = site.account.organization_id
    now = datetime.now(UTC)
    await ensure_partitions(databases, 1)
    ids = await add_visits(
        databases,
        org,
        site.domain["domain_id"],
        [
            Visit(now - timedelta(hours=2), "long-but-live"),
            Visit(now - timedelta(hours=25), "over-a-day"),
            Visit(now - timedelta(minutes=20), "idle"),
            Visit(now - timedelta(minutes=1), "bot", is_bot=True),
        ],
    )
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        for session_id, last in zip(
            ids,
            (
                now - timedelta(minutes=1),
                now - timedelta(minutes=2),
                now - timedelta(minutes=15),
                now,
            ),
            strict=True,
        ):
            await bi.execute(
                text("UPDATE sessions SET last_activity_at = :t WHERE session_id = :s"),
                {"t": last, "s": session_id},
            )
    body = (await client.get("/api/analytics/overview?preset=today", headers=site.headers)).json()
    # Active within five minutes, human, begun less than a day ago: only the first.
    assert body["live_visitors"] == 1
