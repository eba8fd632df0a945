"""The A/B counts worked out in memory (`ab_counts`) against the same question asked in SQL
(`abtests.sql_counts_and_series`) on random data, and `ab_counts.local_days` against
PostgreSQL's own local days in time zones with daylight saving."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import text, update

from rastro.analytics.models import ConversionFact
from rastro.analytics.service import ab_counts, abtests
from rastro.core.db import SYSTEM, Scope
from tests.analytics.factories import Visit, add_visits, refresh
from tests.analytics.raw import local_day
from tests.analytics.test_abtests_api import _ab_test
from tests.crm.factories import make_leads
from tests.tracking.factories import make_site


async def test_in_memory_counts_equal_the_sql_statement(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    domain = site.domain["domain_id"]
    test = await _ab_test(client, site)
    control, variant = uuid.UUID(test["control"]), uuid.UUID(test["variant"])
    rng = random.Random(1717)
    now = datetime.now(UTC)
    minutes = 60 * 24 * 30

    def moment() -> datetime:
        return now - timedelta(minutes=rng.randrange(10, minutes), seconds=rng.randrange(60))

    visits = [
        Visit(moment(), f"ab{rng.randrange(40)}", landing_page_id=rng.choice([control, variant, None]))
        for _ in range(120)
    ]  # fmt: skip
    # Both variants on one day: the first session decides.
    visits += [
        Visit(now - timedelta(days=2, hours=3), "both", landing_page_id=variant),
        Visit(now - timedelta(days=2, hours=1), "both", landing_page_id=control),
    ]
    await add_visits(databases, org, domain, visits)
    won = []
    for _ in range(45):
        others = [f"ab{rng.randrange(45)}" for _ in range(rng.randrange(3))]
        is_won = rng.random() < 0.35
        rows = await make_leads(
            databases,
            org,
            stage="won" if is_won else "new",
            stage_value=Decimal(rng.randrange(1000, 90000)) / 100 if is_won else None,
            created_at=moment(),
            visitor_id=rng.choice([f"ab{rng.randrange(45)}", "both"]),
            contact_visitor_ids=others,
        )
        if is_won:
            won.append(rows[0].lead_id)
    await refresh(databases, org)
    # A won lead in another currency counts as a conversion with no revenue.
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        await bi.execute(
            update(ConversionFact).where(ConversionFact.lead_id == won[0]).values(currency="USD")
        )
    # Sessions after the refresh come from the raw sessions.
    await add_visits(
        databases,
        org,
        domain,
        [Visit(datetime.now(UTC), f"ab{i}", landing_page_id=(control, variant)[i % 2]) for i in range(6)],
    )  # fmt: skip
    today = local_day(now)
    ranges = [
        (today - timedelta(days=31), None),
        (today - timedelta(days=12), None),
        (today - timedelta(days=20), today - timedelta(days=6)),
        (None, None),
    ]
    page_ids = [control, variant]
    seen = Decimal(0)
    for date_from, date_to in ranges:
        scope = Scope.organization(org)
        async with databases.crm.transaction(scope) as crm, databases.bi.transaction(scope) as bi:
            _, windows = await abtests._test_and_window(
                crm, bi, org, uuid.UUID(test["id"]), date_from=date_from, date_to=date_to
            )
            window = windows[uuid.UUID(test["id"])]
            in_memory = await abtests.counts_and_series(bi, window, page_ids)
            in_sql = await abtests.sql_counts_and_series(bi, window, page_ids)
        assert in_memory == in_sql, (date_from, date_to)
        seen += sum((c.revenue for c in in_memory[0].values()), Decimal(0))
        if date_from == ranges[0][0]:
            counts = in_memory[0]
            assert sum(c.leads for c in counts.values()) > 5
            assert sum(c.won for c in counts.values()) > 1
            assert len(in_memory[1]) > 10
    assert seen > 0


async def test_local_days_equal_postgresql(databases):
    rng = random.Random(7)
    start = datetime(2019, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(seconds=rng.randrange(7 * 365 * 86400)) for _ in range(3000)]
    # Every ten minutes around changes of offset at local midnight (Santiago), in the
    # afternoon (Lord Howe, half an hour) and at night (Berlin).
    for first in (
        datetime(2024, 4, 6, 20, tzinfo=UTC),
        datetime(2024, 9, 7, 20, tzinfo=UTC),
        datetime(2024, 4, 6, 12, tzinfo=UTC),
        datetime(2024, 10, 5, 12, tzinfo=UTC),
        datetime(2024, 3, 30, 22, tzinfo=UTC),
        datetime(2024, 10, 26, 22, tzinfo=UTC),
    ):
        moments += [first + timedelta(minutes=10 * n) for n in range(6 * 12)]
    micros = np.array(
        [(m - ab_counts.PG_EPOCH) // timedelta(microseconds=1) for m in moments], dtype=np.int64
    )
    zones = (
        "America/Sao_Paulo",
        "America/Santiago",
        "Europe/Berlin",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "UTC",
    )
    async with databases.bi.transaction(SYSTEM) as bi:
        for zone in zones:
            expected = await bi.scalars(
                text(
                    "SELECT timezone(:zone, t)::date - date '2000-01-01' "
                    "FROM unnest(CAST(:moments AS timestamptz[])) WITH ORDINALITY AS m(t, n) "
                    "ORDER BY n"
                ),
                {"zone": zone, "moments": moments},
            )
            assert ab_counts.local_days(micros, zone).tolist() == list(expected), zone
