"""Retention settings (`/api/privacy/retention`), the anonymisation job, and what each
module's anonymisation changes in the CRM: integration payloads, inbound webhook payloads
and the platforms' answers in the sync log, only before the cutoff."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from rastro.conversions.models import PlatformSyncLog
from rastro.core.db import SYSTEM, Scope
from rastro.core.jobs import JobContext, set_job_context
from rastro.core.units import TransactionBoundary
from rastro.integrations.models import IntegrationLog, WebhookDelivery
from rastro.privacy.retention import service
from rastro.privacy.retention.jobs import anonymise_daily
from rastro.privacy.retention.models import AnonymisationRun
from tests.auth.factories import auth_headers, make_account
from tests.conversions.factories import (
    DATASET_ID,
    META_TOKEN,
    create_conversion,
    make_lead,
    make_org,
    sync,
)
from tests.crm.factories import make_leads
from tests.fakes.meta import FakeMeta
from tests.helpers import drain_jobs

URL = "/api/privacy/retention"


@pytest.fixture
def meta() -> Iterator[FakeMeta]:
    server = FakeMeta(META_TOKEN, DATASET_ID).start()
    yield server
    server.stop()


def test_months_before_clamps_to_the_months_last_day():
    assert service.months_before(datetime(2026, 8, 31, 12, tzinfo=UTC), 6) == datetime(
        2026, 2, 28, 12, tzinfo=UTC
    )
    assert service.months_before(datetime(2024, 8, 31, tzinfo=UTC), 6).day == 29  # leap year
    assert service.months_before(datetime(2026, 3, 15, tzinfo=UTC), 15) == datetime(
        2024, 12, 15, tzinfo=UTC
    )


async def test_retention_settings_and_bounds(client, databases):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    shown = await client.get(URL, headers=headers)
    assert shown.status_code == 200, shown.text
    assert shown.json() == {
        "retention_months": 6,
        "min_months": 1,
        "max_months": 60,
        "last_run": None,
    }
    for months in (0, 61):
        refused = await client.put(URL, headers=headers, json={"retention_months": months})
        assert refused.status_code == 422, refused.text
    changed = await client.put(URL, headers=headers, json={"retention_months": 12})
    assert changed.status_code == 200, changed.text
    assert changed.json()["retention_months"] == 12
    assert (await client.get(URL, headers=headers)).json()["retention_months"] == 12

    viewer = await make_account(databases, role="viewer", organization_id=admin.organization_id)
    viewer_headers = await auth_headers(client, viewer)
    assert (await client.get(URL, headers=viewer_headers)).status_code == 200
    forbidden = await client.put(URL, headers=viewer_headers, json={"retention_months": 3})
    assert forbidden.status_code == 403
    assert (await client.post(f"{URL}/run", headers=viewer_headers)).status_code == 403

    # Another organization keeps its own (the default).
    other = await auth_headers(client, await make_account(databases))
    assert (await client.get(URL, headers=other)).json()["retention_months"] == 6


async def test_run_now_queues_the_job_that_records_the_run(client, databases, settings):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    queued = await client.post(f"{URL}/run", headers=headers)
    assert queued.status_code == 202, queued.text
    await drain_jobs(settings, databases, queues=["maintenance"])
    run = (await client.get(URL, headers=headers)).json()["last_run"]
    assert run["status"] == "done"
    assert run["retention_months"] == 6
    assert set(run["changes"]) == {"crm", "integrations", "conversions", "tracking"}


async def test_the_daily_job_queues_one_anonymisation_per_organization(client, databases, settings):
    accounts = [await make_account(databases) for _ in range(2)]
    set_job_context(JobContext(databases=databases, settings=settings))
    try:
        assert await anonymise_daily.func(timestamp=0) == 2
        assert await anonymise_daily.func(timestamp=0) == 2  # still queued: not doubled
    finally:
        set_job_context(None)
    await drain_jobs(settings, databases, queues=["maintenance"])
    for account in accounts:
        headers = await auth_headers(client, account)
        assert (await client.get(URL, headers=headers)).json()["last_run"]["status"] == "done"
    async with databases.crm.transaction(SYSTEM) as crm:
        runs = list(await crm.scalars(select(AnonymisationRun)))
    assert sorted(r.organization_id for r in runs) == sorted(a.organization_id for a in accounts)


async def test_integration_and_sync_payloads_are_purged_before_the_cutoff(
    client, databases, settings, meta
):
    org = await make_org(client, databases, meta)
    lead_id = await make_lead(databases, org, click_ids={"fbclid": "fb1"})
    await create_conversion(client, org, lead_id)
    assert (await sync(settings, databases, organization_id=org.id)).sent == 1
    (recent_lead,) = await make_leads(databases, org.id)
    scope = Scope.organization(org.id)
    long_ago = datetime.now(UTC) - timedelta(days=400)
    pushed = {"email": "ana@example.com", "phone": "+5511999990000"}
    async with databases.crm.transaction(scope) as crm:
        crm.add_all(
            [
                IntegrationLog(
                    organization_id=org.id, lead_id=lead_id, integration_type="crm",
                    integration_name="hubspot", request_data=pushed,
                    response_data={"id": "1"}, created_at=long_ago,
                ),
                IntegrationLog(
                    organization_id=org.id, lead_id=recent_lead.lead_id,
                    integration_type="crm", integration_name="hubspot", request_data=pushed,
                ),
                WebhookDelivery(
                    organization_id=org.id, provider="hubspot", external_event_id="e1",
                    status="applied", payload={"contact": pushed}, received_at=long_ago,
                ),
                WebhookDelivery(
                    organization_id=org.id, provider="hubspot", external_event_id="e2",
                    status="review", payload={"contact": pushed},
                ),
            ]
        )  # fmt: skip
    # 200 days on, with 6 months of retention: every row is older than the cutoff.
    run = await service.anonymise_organization(
        TransactionBoundary(databases.crm),
        TransactionBoundary(databases.bi),
        org.id,
        now=datetime.now(UTC) + timedelta(days=200),
    )
    assert run.changes["integrations"] == {"integration_payloads": 2, "webhook_payloads": 2}
    assert run.changes["conversions"] == {"sync_responses": 1}

    # Now with the default 6 months: only the rows from 400 days ago.
    async with databases.crm.transaction(scope) as crm:
        await crm.execute(
            IntegrationLog.__table__.update().values(request_data=pushed)  # type: ignore[attr-defined]
        )
        await crm.execute(
            WebhookDelivery.__table__.update().values(payload={"contact": pushed})  # type: ignore[attr-defined]
        )
    run = await service.anonymise_organization(
        TransactionBoundary(databases.crm), TransactionBoundary(databases.bi), org.id
    )
    assert run.changes["integrations"] == {"integration_payloads": 1, "webhook_payloads": 1}
    async with databases.crm.transaction(scope) as crm:
        logs = {row.lead_id: row.request_data for row in await crm.scalars(select(IntegrationLog))}
        deliveries = {
            row.external_event_id: row.payload for row in await crm.scalars(select(WebhookDelivery))
        }
        (entry,) = await crm.scalars(select(PlatformSyncLog))
    assert logs == {lead_id: {}, recent_lead.lead_id: pushed}
    assert deliveries == {"e1": {}, "e2": {"contact": pushed}}
    assert entry.response_data == {}
    assert entry.request_payload  # hashed already: kept for data-subject lookups
    assert entry.sync_status == "success"
