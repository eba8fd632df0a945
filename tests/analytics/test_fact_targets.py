"""The leads' combination targets (`combination_targets`) against resolving every
combination in the request: the Ads report with its profit lines reads the same through
the stored targets as through the join's rules, for every level, over ranges, with
filters, after the refresh stored them, and after each change of what the rules read (a
rename by a re-import, an ad moved to another campaign, a mapping added and removed, a
click imported), both before the next refresh (the triggers deleted the rows, the report
resolves them itself) and after it. The facts' stored combination key is the join's; an
import that changes nothing the rules read keeps the rows; a store while a writer holds
the lock stores nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from rastro.analytics.ad_models import CombinationTarget, TouchCombination
from rastro.analytics.correlation_schemas import SpendMappingIn, SpendMappingsPut
from rastro.analytics.models import ConversionFact
from rastro.analytics.schemas import Period, ReportFilters
from rastro.analytics.service import (
    correlation,
    fact_targets,
    profit_reports,
    spend,
    spend_join,
    spend_mappings,
)
from rastro.analytics.service.overview import Scope
from rastro.analytics.spend.base import ClickRow
from rastro.core.db import Databases
from rastro.core.db import Scope as DbScope
from tests.analytics.factories import Visit, refresh_organization
from tests.analytics.health_data import local_today, noon
from tests.analytics.join_data import ad_row, lead_on, store_spend, touch
from tests.tracking.factories import make_site

BF = ("111", "Black Friday")
SUMMER = ("112", "Verão")
BRAND = ("222", "Search Brand")
LEVELS = ("platform", "campaign", "ad_set", "ad")
FILTERS = (
    ReportFilters(),
    ReportFilters(channel="Paid Social"),
    ReportFilters(campaign="Black Friday"),
)


def _scope(first: date, last: date, filters: ReportFilters) -> Scope:
    return Scope(
        period=Period(
            date_from=first,
            date_to=last,
            start=datetime.combine(first, time(), UTC),
            end=datetime.combine(last + timedelta(days=1), time(), UTC),
        ),
        filters=filters,
        through=None,
        timezone="America/Sao_Paulo",
        currency="BRL",
    )


def _meta_rows(today: date, campaign_of_a3: tuple[str, str] = SUMMER) -> list:
    return [
        row
        for n in range(1, 21)
        for row in (
            ad_row(today - timedelta(days=n), BF, ("a1", "Video A"), "10", ad_set=("s1", "LAL")),
            ad_row(today - timedelta(days=n), BF, ("a2", "Carousel"), "7", ad_set=("s1", "LAL")),
            ad_row(
                today - timedelta(days=n), campaign_of_a3, ("a3", "Story"), "5", ad_set=("s2", "B")
            ),
        )
    ]


async def _dataset(client, databases: Databases) -> tuple[uuid.UUID, date]:
    """Meta campaigns 111 (ads a1, a2) and 112 (a3), Google 222 (ga1), 20 days of spend;
    leads on 15, 8, 3 and 1 days ago through touches that reach an ad by id and by name,
    a campaign by utm_id and by id, and nothing (a name no campaign has yet, an unknown
    campaign, a gclid not yet imported)."""
    site = await make_site(client, databases)
    org = site.account.organization_id
    today = local_today()
    await store_spend(databases, org, "meta", "act_1", _meta_rows(today))
    await store_spend(
        databases,
        org,
        "google",
        "g_1",
        [
            ad_row(today - timedelta(days=n), BRAND, ("ga1", "Text"), "20", ad_set=("gs1", "B"))
            for n in range(1, 21)
        ],
    )
    social = {"channel": "Paid Social", "source": "facebook", "medium": "paid_social"}
    visits = [
        {"campaign": "Black Friday", "content": "a1", **social},
        {"campaign": "Black Friday", "content": "carousel", **social},
        {"campaign": "brand", "utm_id": "222"},
        {"campaign": "112", **social},
        {"campaign": "Summer", **social},  # 112's name after a re-import below
        {"campaign": "mystery"},  # mapped below
        {"channel": "Paid Search", "source": "google", "medium": "cpc", "gclid": "gclid-X"},
    ]
    domain = site.domain["domain_id"]
    for n, days_ago in enumerate((15, 8, 3, 1)):
        at = noon(today - timedelta(days=days_ago))
        for v, params in enumerate(visits):
            visitor = f"v{n}-{v}"
            found = await touch(
                databases,
                org,
                domain,
                Visit(at, visitor, **{"campaign": None, **params}),  # type: ignore[arg-type]
            )
            stage = ("new", "qualified", "won")[(n + v) % 3]
            value = str(100 + 10 * v + n) if stage == "won" else None
            await lead_on(databases, org, found, visitor, at, stage=stage, value=value)
    await refresh_organization(databases, org)
    return org, today


async def _report(bi, scope: Scope, level: str, stored: bool):
    report = await correlation.ads_report(
        bi,
        scope,
        level=level,  # type: ignore[arg-type]
        model="last_touch",
        lookback_days=90,
        half_life_days=7,
        stored_targets=stored,
    )
    return await profit_reports.with_ads_profit(bi, scope, report, stored_targets=stored)


async def _assert_same_either_way(databases: Databases, org: uuid.UUID, today: date) -> None:
    ranges = (
        (today - timedelta(days=30), today),
        (today - timedelta(days=15), today - timedelta(days=15)),
        (today - timedelta(days=10), today - timedelta(days=2)),
        (today - timedelta(days=3), today),
    )
    async with databases.bi.transaction(DbScope.organization(org)) as bi:
        for first, last in ranges:
            for filters in FILTERS:
                for level in LEVELS:
                    scope = _scope(first, last, filters)
                    stored = await _report(bi, scope, level, True)
                    resolved = await _report(bi, scope, level, False)
                    assert stored == resolved, (first, last, filters, level)


async def _targets(databases: Databases, org: uuid.UUID) -> int:
    async with databases.bi.transaction(DbScope.organization(org)) as bi:
        return int(await bi.scalar(select(func.count()).select_from(CombinationTarget)) or 0)


async def _campaign_leads(databases: Databases, org: uuid.UUID, today: date) -> dict:
    scope = _scope(today - timedelta(days=30), today, ReportFilters())
    async with databases.bi.transaction(DbScope.organization(org)) as bi:
        report = await _report(bi, scope, "campaign", True)
    leads = {row.campaign_id: row.figures.leads for row in report.rows}
    return {**leads, None: report.unattributed.leads}


async def test_the_stored_targets_answer_what_the_rules_answer_after_every_change(
    client, databases
):
    org, today = await _dataset(client, databases)
    stored = await _targets(databases, org)
    assert stored == 7  # one per combination, those that reach nothing included
    await _assert_same_either_way(databases, org, today)
    assert await _campaign_leads(databases, org, today) == {
        "111": 8,
        "222": 4,
        "112": 4,
        None: 12,
    }

    # An import that changes nothing the rules read (the same names) keeps every row.
    await store_spend(databases, org, "meta", "act_1", _meta_rows(today))
    assert await _targets(databases, org) == stored

    # 112 renamed "Summer" by a re-import: its former name still joins, the new one too.
    await store_spend(databases, org, "meta", "act_1", _meta_rows(today, ("112", "Summer")))
    assert await _targets(databases, org) == 0
    await _assert_same_either_way(databases, org, today)
    assert (await _campaign_leads(databases, org, today))["112"] == 8
    await refresh_organization(databases, org)
    assert await _targets(databases, org) == stored
    await _assert_same_either_way(databases, org, today)

    # Ad a3 moved to campaign 111: the touches naming 112 still reach 112.
    await store_spend(databases, org, "meta", "act_1", _meta_rows(today, BF))
    await _assert_same_either_way(databases, org, today)
    await refresh_organization(databases, org)
    await _assert_same_either_way(databases, org, today)

    # A mapping of "mystery" to 222, then its removal.
    scope = DbScope.organization(org)
    async with databases.bi.transaction(scope) as bi:
        [mapping] = await spend_mappings.put_mappings(
            bi,
            org,
            SpendMappingsPut(
                mappings=[
                    SpendMappingIn(
                        utm_campaign="mystery",
                        platform="google",
                        account_id="g_1",
                        campaign_id="222",
                    )
                ]
            ),
        )
    assert await _targets(databases, org) == 0
    await _assert_same_either_way(databases, org, today)
    assert (await _campaign_leads(databases, org, today))["222"] == 8
    await refresh_organization(databases, org)
    await _assert_same_either_way(databases, org, today)
    async with databases.bi.transaction(scope) as bi:
        await spend_mappings.delete_mapping(bi, mapping.id)
    await _assert_same_either_way(databases, org, today)
    assert (await _campaign_leads(databases, org, today))["222"] == 4
    await refresh_organization(databases, org)

    # Google reports gclid-X's click: only that combination's row goes.
    origin = spend.RowOrigin(
        organization_id=org,
        platform="google",
        account_id="g_1",
        timezone="America/Sao_Paulo",
        import_id=None,
        source="api",
    )
    async with databases.bi.transaction(scope) as bi:
        await spend.store_clicks(
            bi, origin, [ClickRow("gclid-X", "222", "gs1", "ga1", today - timedelta(days=1))]
        )
    assert await _targets(databases, org) == stored - 1
    await _assert_same_either_way(databases, org, today)
    assert (await _campaign_leads(databases, org, today))["222"] == 8
    await refresh_organization(databases, org)
    assert await _targets(databases, org) == stored
    await _assert_same_either_way(databases, org, today)


async def test_the_facts_key_is_the_joins_and_a_writer_holds_stores_back(client, databases):
    org, _ = await _dataset(client, databases)
    scope = DbScope.organization(org)
    async with databases.bi.transaction(scope) as bi:
        f = ConversionFact.__table__
        joins_key = spend_join.combination_key(*(f.c[c] for c in spend_join.COMBINATION_COLUMNS))
        keys = (await bi.execute(select(f.c.combination_key, joins_key))).all()
        assert len(keys) == 28
        assert all(stored == computed for stored, computed in keys)
        touched = set(await bi.scalars(select(TouchCombination.combination_key)))
        assert {stored for stored, _ in keys} <= touched
        assert any(click for click in await bi.scalars(select(f.c.click_id)))

    # A mapping saved but not committed holds the lock: the refresh stores nothing now.
    async with databases.bi.transaction(scope) as writer:
        await spend_mappings.put_mappings(
            writer,
            org,
            SpendMappingsPut(
                mappings=[
                    SpendMappingIn(
                        utm_campaign="mystery",
                        platform="google",
                        account_id="g_1",
                        campaign_id="222",
                    )
                ]
            ),
        )
        async with databases.bi.transaction(scope) as bi:
            assert await fact_targets.store(bi, org) is None
    async with databases.bi.transaction(scope) as bi:
        assert await fact_targets.store(bi, org) == 7
