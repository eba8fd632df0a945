"""Event partitions past every organization's retention are dropped once the rollups of
the organizations with rows in them cover their month, on real monthly partitions."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import text

from rastro.core.db import SYSTEM, Scope
from rastro.core.jobs import JobContext, set_job_context
from rastro.core.units import TransactionBoundary
from rastro.privacy.retention import partitions as retention_partitions
from rastro.privacy.retention.jobs import drop_event_partitions
from rastro.privacy.retention.service import set_retention
from rastro.tracking import partitions
from tests.auth.factories import make_account

TODAY = date(2026, 12, 7)
MONTHS = [date(2020, 1, 1), date(2020, 2, 1), date(2022, 6, 1)]
CREATED = [partitions.partition_name(p, m) for m in MONTHS for p in ("events", "page_views")]


async def _names(databases) -> set[str]:
    async with databases.bi.transaction(SYSTEM) as s:
        found: set[str] = set()
        for parent in ("events", "page_views", "utm_tracking"):
            rows = await s.execute(text(partitions.LIST_PARTITIONS), {"parent": parent})
            found.update(rows.scalars())
        return found


async def _setup(databases, covered: uuid.UUID, behind: uuid.UUID) -> None:
    async with databases.bi.transaction(SYSTEM) as s:
        for month in MONTHS:
            for parent in ("events", "page_views", "utm_tracking"):
                for statement in partitions.create_statements(parent, month):
                    await s.execute(text(statement))
        # January: an event of the organization whose rollups reach March.
        await s.execute(
            text(
                "INSERT INTO events (event_id, created_at, organization_id, session_id, "
                "event_type) VALUES (gen_random_uuid(), '2020-01-20', :org, 's1', 'click')"
            ),
            {"org": covered},
        )
        # February: a page view of the organization whose rollups stop mid-February.
        await s.execute(
            text(
                "INSERT INTO page_views (view_id, created_at, organization_id, session_id, "
                "page_url, view_order) VALUES (gen_random_uuid(), '2020-02-10', :org, 's2', "
                "'https://x.test/', 1)"
            ),
            {"org": behind},
        )
        for org, through in ((covered, "2020-03-01"), (behind, "2020-02-15")):
            await s.execute(
                text(
                    "INSERT INTO rollup_state (organization_id, through, refreshed_at, timezone) "
                    "VALUES (:org, :through, now(), 'America/Sao_Paulo')"
                ),
                {"org": org, "through": datetime.fromisoformat(through).replace(tzinfo=UTC)},
            )


async def _cleanup(databases) -> None:
    async with databases.bi.transaction(SYSTEM) as s:
        for month in MONTHS:
            for parent in ("events", "page_views", "utm_tracking"):
                name = partitions.partition_name(parent, month)
                await s.execute(text(f"DROP TABLE IF EXISTS {name}"))


async def test_partitions_past_every_retention_and_covered_by_rollups_are_dropped(
    databases, settings
):
    covered = (await make_account(databases)).organization_id
    behind = (await make_account(databases)).organization_id
    longest = (await make_account(databases)).organization_id
    async with databases.crm.transaction(Scope.organization(longest)) as s:
        await set_retention(s, longest, months=60)  # 60 months before Dec 2026: Dec 2021
    await _setup(databases, covered, behind)
    crm, bi = TransactionBoundary(databases.crm), TransactionBoundary(databases.bi)
    try:
        report = await retention_partitions.drop_expired_partitions(crm, bi, today=TODAY)
        again = await retention_partitions.drop_expired_partitions(crm, bi, today=TODAY)
        names = await _names(databases)
    finally:
        await _cleanup(databases)
    assert report.longest_retention_months == 60
    # January's event is in rollups that reach March; February's empty events partition
    # has nobody to wait for; February's page view belongs to rollups that stop mid-month.
    assert sorted(report.dropped) == [
        "events_2020_01",
        "events_2020_02",
        "page_views_2020_01",
    ]
    assert report.kept == {"page_views_2020_02": "rollups_behind"}
    assert again.dropped == []
    assert again.kept == {"page_views_2020_02": "rollups_behind"}
    assert {"page_views_2020_02", "events_2022_06", "page_views_2022_06"} <= names
    # The touches are never dropped here (attribution reads them; no rollup holds them).
    assert {"utm_tracking_2020_01", "utm_tracking_2020_02"} <= names
    assert not {"events_2020_01", "events_2020_02", "page_views_2020_01"} & names


async def test_the_default_retention_and_a_never_refreshed_organization(databases, settings):
    org = (await make_account(databases)).organization_id
    await _setup(databases, uuid.uuid4(), uuid.uuid4())
    async with databases.bi.transaction(SYSTEM) as s:
        await s.execute(text("DELETE FROM rollup_state"))
        await s.execute(
            text(
                "INSERT INTO events (event_id, created_at, organization_id, session_id, "
                "event_type) VALUES (gen_random_uuid(), '2022-06-03', :org, 's3', 'click')"
            ),
            {"org": org},
        )
    crm, bi = TransactionBoundary(databases.crm), TransactionBoundary(databases.bi)
    # Six months before January 2023: the months up to June 2022 (the partitions other
    # tests create, for recent months, are not past it).
    try:
        report = await retention_partitions.drop_expired_partitions(
            crm, bi, today=date(2023, 1, 15)
        )
    finally:
        await _cleanup(databases)
    assert report.longest_retention_months == 6  # nobody chose one: the default
    # Without any rollup state, the partitions with rows wait; the empty ones go.
    assert report.kept == {
        "events_2020_01": "rollups_behind",
        "page_views_2020_02": "rollups_behind",
        "events_2022_06": "rollups_behind",
    }
    assert sorted(report.dropped) == [
        "events_2020_02",
        "page_views_2020_01",
        "page_views_2022_06",
    ]


async def test_the_job_can_be_turned_off(databases, settings):
    off = settings.model_copy(update={"event_partitions_drop": False})
    set_job_context(JobContext(databases=databases, settings=off))
    try:
        assert await drop_event_partitions.func(timestamp=0) == {
            "dropped": [],
            "kept": {},
            "disabled": True,
        }
    finally:
        set_job_context(None)
