"""Writing spend rows (`spend_store.store_rows`: COPY into the connection's staging table,
then one upsert) and their names: every value stored as given, two calls in one
transaction each writing only their own rows, the same key twice in a call giving the last,
and names that did not change left as they were (no new row version), while a rename, a
move and a name seen again a day later are written."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select, text

from rastro.analytics.ad_models import CampaignMetric
from rastro.analytics.service import spend
from rastro.analytics.service.spend import RowOrigin
from rastro.analytics.spend.base import SpendRow
from rastro.core.db import Databases, Scope
from tests.analytics.join_data import ad_row, store_spend

DAY = date(2025, 5, 30)


def _origin(org: uuid.UUID, account: str, import_id: uuid.UUID | None = None) -> RowOrigin:
    return RowOrigin(
        organization_id=org,
        platform="meta",
        account_id=account,
        timezone="America/Sao_Paulo",
        import_id=import_id,
        source="csv" if import_id is None else "api",
    )


async def test_rows_are_stored_as_given_and_two_calls_in_one_transaction_keep_apart(
    databases: Databases,
) -> None:
    org = uuid.uuid4()
    run = uuid.uuid4()
    full = ad_row(
        DAY,
        ("c1", "Campanha"),
        ("a1", "Anúncio"),
        "12.345678",
        ad_set=("s1", "Conjunto"),
        impressions=1000,
        reach=800,
        clicks=30,
        link_clicks=25,
        video_plays=400,
        video_3s_views=350,
        thruplays=120,
        conversions=Decimal("2.5"),
        conversion_value=Decimal("199.9900"),
        attribution_setting="meta:7d_click\t\\N\n",
    )
    bare = ad_row(DAY, ("c2", None), ("a2", None), "0", currency="USD")
    first_of_a1 = ad_row(DAY, ("c1", "Campanha"), ("a1", "Anúncio"), "99")
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        # One call with the same key twice (the later row wins), then a second call for
        # another account in the same transaction (a CSV upload's accounts).
        assert await spend.store_rows(bi, _origin(org, "act_1", run), [first_of_a1, full]) == 1
        assert await spend.store_rows(bi, _origin(org, "act_2"), [bare]) == 1
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        rows = {
            (r.account_id, r.ad_id): r
            for r in await bi.scalars(select(CampaignMetric).order_by(CampaignMetric.account_id))
        }
    assert set(rows) == {("act_1", "a1"), ("act_2", "a2")}
    a1, a2 = rows[("act_1", "a1")], rows[("act_2", "a2")]
    assert (a1.day, a1.timezone, a1.campaign_id, a1.ad_set_id) == (
        DAY,
        "America/Sao_Paulo",
        "c1",
        "s1",
    )
    assert (a1.spend, a1.currency) == (Decimal("12.345678"), "BRL")
    assert (a1.impressions, a1.reach, a1.clicks, a1.link_clicks) == (1000, 800, 30, 25)
    assert (a1.video_plays, a1.video_3s_views, a1.thruplays) == (400, 350, 120)
    assert (a1.conversions, a1.conversion_value) == (Decimal("2.5"), Decimal("199.99"))
    assert (a1.attribution_setting, a1.source, a1.import_id) == ("meta:7d_click\t\\N\n", "api", run)
    assert (a2.spend, a2.currency, a2.ad_set_id, a2.source, a2.import_id) == (
        Decimal(0),
        "USD",
        None,
        "csv",
        None,
    )
    assert (a2.reach, a2.link_clicks, a2.video_3s_views, a2.attribution_setting) == (
        None,
        None,
        None,
        None,
    )
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        names = {
            ad_id: name
            for ad_id, name in await bi.execute(text("SELECT ad_id, name FROM ads ORDER BY ad_id"))
        }
    assert names == {"a1": "Anúncio", "a2": None}


async def _versions(databases: Databases, org: uuid.UUID) -> dict[str, list[tuple[str, str]]]:
    """Each name table's rows as (key, xmin): a changed xmin is a new row version."""
    queries = {
        "ad_campaigns": "SELECT campaign_id || '=' || coalesce(name, ''), xmin::text "
        "FROM ad_campaigns",
        "ad_sets": "SELECT ad_set_id || '=' || campaign_id || '=' || coalesce(name, ''), "
        "xmin::text FROM ad_sets",
        "ads": "SELECT ad_id || '=' || campaign_id || '=' || coalesce(ad_set_id, '') || '=' "
        "|| coalesce(name, ''), xmin::text FROM ads",
        "ad_name_history": "SELECT level || '=' || object_id || '=' || name, xmin::text "
        "FROM ad_name_history",
    }
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        return {
            table: sorted((key, xmin) for key, xmin in await bi.execute(text(query)))
            for table, query in queries.items()
        }


async def test_unchanged_names_are_not_rewritten_and_changes_are(databases: Databases) -> None:
    org = uuid.uuid4()

    def rows(day: date, campaign: str = "Campanha", campaign_id: str = "c1") -> list[SpendRow]:
        return [
            ad_row(day, (campaign_id, campaign), ("a1", "Ad 1"), "10", ad_set=("s1", "Set")),
            ad_row(day, (campaign_id, campaign), ("a2", "Ad 2"), "20"),
        ]

    await store_spend(databases, org, "meta", "act_1", rows(DAY))
    before = await _versions(databases, org)
    # The same names again (another day's figures, a re-import): no name row is rewritten.
    await store_spend(databases, org, "meta", "act_1", rows(DAY + timedelta(days=1)))
    assert await _versions(databases, org) == before
    # A name given as NULL keeps the stored one (and rewrites nothing).
    await store_spend(
        databases, org, "meta", "act_1", [ad_row(DAY, ("c1", None), ("a2", None), "20")]
    )
    assert await _versions(databases, org) == before
    # A rename: the campaign's row changes and its new name joins the history.
    await store_spend(databases, org, "meta", "act_1", rows(DAY, campaign="Campanha Nova"))
    renamed = await _versions(databases, org)
    assert [k for k, _ in renamed["ad_campaigns"]] == ["c1=Campanha Nova"]
    assert renamed["ad_campaigns"] != before["ad_campaigns"]
    assert renamed["ads"] == before["ads"]
    history = [k for k, _ in renamed["ad_name_history"]]
    assert "campaign=c1=Campanha" in history
    assert "campaign=c1=Campanha Nova" in history
    # A name last seen over a day ago is seen again: its last_seen_at moves.
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        await bi.execute(
            text(
                "UPDATE ad_name_history SET last_seen_at = now() - interval '2 days' "
                "WHERE object_id = 'a1'"
            )
        )
        old = await bi.scalar(
            text("SELECT last_seen_at FROM ad_name_history WHERE object_id = 'a1'")
        )
    await store_spend(databases, org, "meta", "act_1", rows(DAY, campaign="Campanha Nova"))
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        seen = await bi.scalar(
            text("SELECT last_seen_at FROM ad_name_history WHERE object_id = 'a1'")
        )
    assert seen > old + timedelta(days=1)
    # An ad moved to another campaign: its row is rewritten.
    await store_spend(databases, org, "meta", "act_1", rows(DAY, campaign_id="c9"))
    moved = await _versions(databases, org)
    assert sorted(k for k, _ in moved["ads"]) == ["a1=c9=s1=Ad 1", "a2=c9==Ad 2"]
