"""Markov's non-converting journeys counted by transition in the database
(`journeys.count_non_converting_at`) against the same journeys read one by one and counted
in Python, at every level: repeats collapsed per level, empty values as "(none)", the
converting people's visitors left out."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from rastro.analytics.attribution import LEVELS
from rastro.analytics.schemas import ReportFilters
from rastro.analytics.service import journeys, periods
from rastro.core.db import Scope
from tests.analytics.factories import Visit, add_visits, refresh
from tests.analytics.raw import SAO_PAULO, ensure_partitions
from tests.analytics.test_attribution_properties import counted_transitions
from tests.crm.factories import make_leads
from tests.tracking.factories import make_site

CHANNELS = ["Paid Search", "Email", "Organic Search", "Direct"]
CAMPAIGNS = ["spring", "", None, "may-news"]


async def test_counted_transitions_equal_the_journeys_counted_one_by_one(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    await ensure_partitions(databases, 2)
    rng = random.Random(11)
    now = datetime.now(UTC).replace(microsecond=0)
    visits = [
        Visit(
            now - timedelta(hours=rng.randrange(1, 24 * 20)),
            f"v{rng.randrange(12)}",
            channel=rng.choice(CHANNELS),
            source=rng.choice(["google", None, ""]),
            campaign=rng.choice(CAMPAIGNS),
            content=rng.choice(["a", None]),
        )
        for _ in range(80)
    ]
    # Two visits at the same moment: the session id breaks the tie in both ways.
    visits.append(Visit(visits[0].started_at, visits[0].visitor_id, channel="Email"))
    await add_visits(databases, org, site.domain["domain_id"], visits)
    await make_leads(databases, org, 1, visitor_id="v0", created_at=now - timedelta(hours=1))
    await refresh(databases, org)
    today = now.astimezone(SAO_PAULO).date()
    period, _ = periods.resolve(
        ReportFilters(date_from=today - timedelta(days=15), date_to=today), SAO_PAULO.key, now=now
    )
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        conversions = journeys._conversions(period, ReportFilters(), "lead").cte("conversions")
        converting = select(func.unnest(conversions.c.visitor_ids).label("visitor_id"))
        lost = await journeys._non_converting(bi, period, converting)
        assert 5 < len(lost) < 12  # v0 converted; some visitors only touched before the range
        for level in LEVELS:
            counted = await journeys.count_non_converting_at(bi, period, converting, level)
            assert counted.level == level
            assert counted.transitions == counted_transitions(lost, level), level
            assert counted.journeys == len(lost)
