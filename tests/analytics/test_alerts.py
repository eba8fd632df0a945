"""Alert rules: evaluation on crafted daily series (fires after N breaching days, not
before; no duplicate while open; resolves), each campaign apart, organization scoping,
the signed webhook verified by the receiver fake (retried on 503, failed on 401), the
endpoints' validation (4xx)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
from sqlalchemy import select

from rastro.analytics import health_jobs
from rastro.analytics.health_models import AlertDelivery
from rastro.analytics.service import alert_delivery, alerts
from rastro.core.db import Scope
from rastro.core.jobs import JobContext, set_job_context
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from tests.analytics.factories import Visit, refresh
from tests.analytics.health_data import BF, BRAND, local_today, noon
from tests.analytics.join_data import ad_row, lead_on, store_spend, touch
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.helpers import drain_jobs
from tests.tracking.factories import make_site

SECRET = "whsec-alerts-0123456789abcdef"


@pytest.fixture
def receiver() -> Iterator[FakeWebhookReceiver]:
    server = FakeWebhookReceiver(secret=SECRET).start()
    yield server
    server.stop()


async def _spend_days(databases, org, days: list[date], campaign=BF, amount="100") -> None:
    await store_spend(
        databases,
        org,
        "meta",
        "act_1",
        [ad_row(day, campaign, ("a1", "Video A"), amount, ad_set=("s1", "LAL")) for day in days],
    )


async def _rule(client, headers, **body):
    response = await client.post(
        "/api/analytics/alerts/rules",
        headers=headers,
        json={"name": "ROAS", "comparator": "below", "threshold": "1.5", **body},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _evaluate(databases, org, as_of: date):
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        return await alerts.evaluate_organization(
            bi, organization_id=org, timezone="America/Sao_Paulo", currency="BRL", as_of=as_of
        )


async def test_fires_after_n_days_never_twice_and_resolves(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    d = local_today() - timedelta(days=1)
    # Campaign 111 spends R$ 100 a day from D-4 to D; no sale until D (R$ 500 won on D).
    await _spend_days(databases, org, [d - timedelta(days=n) for n in range(5)])
    rule = await _rule(
        client,
        site.headers,
        metric="real_roas",
        window_days=3,
        scope="campaign",
        platform="meta",
        campaign_id="111",
    )
    assert rule["account_id"] == "act_1"  # found from the imported campaign

    # as of D-3 the window starts on D-5, a day without spend: no firing yet.
    first = await _evaluate(databases, org, d - timedelta(days=3))
    assert (first.result.opened, first.result.resolved) == (0, 0)
    # as of D-2: D-4, D-3, D-2 all at ROAS 0 < 1.5.
    second = await _evaluate(databases, org, d - timedelta(days=2))
    assert second.result.opened == 1
    # as of D-1: still breaching, still the same open firing.
    third = await _evaluate(databases, org, d - timedelta(days=1))
    assert (third.result.opened, third.result.still_open) == (0, 1)
    events = (await client.get("/api/analytics/alerts/events", headers=site.headers)).json()
    assert len(events) == 1
    event = events[0]
    assert event["status"] == "open"
    assert event["subject"]["campaign_id"] == "111"
    assert event["subject"]["campaign_name"] == "Black Friday"
    assert [f["day"] for f in event["figures"]] == [
        (d - timedelta(days=n)).isoformat() for n in (4, 3, 2)
    ]
    assert {(f["value"], f["spend"], f["breached"]) for f in event["figures"]} == {
        (0.0, "100.00", True)
    }
    summary = await client.get("/api/analytics/alerts/summary", headers=site.headers)
    assert summary.json() == {"open": 1}

    # A sale of R$ 500 on D through a touch that reaches campaign 111: ROAS 5 on D.
    tracking = await touch(
        databases,
        org,
        site.domain["domain_id"],
        Visit(noon(d), "v1", channel="Paid Social", source="facebook", campaign="111"),
    )
    await lead_on(databases, org, tracking, "v1", noon(d), stage="won", value="500")
    await refresh(databases, org)
    fourth = await _evaluate(databases, org, d)
    assert fourth.result.resolved == 1
    [resolved] = (await client.get("/api/analytics/alerts/events", headers=site.headers)).json()
    assert resolved["status"] == "resolved"
    assert resolved["resolved_figures"][-1]["value"] == 5.0
    assert resolved["resolved_figures"][-1]["breached"] is False
    assert (await client.get("/api/analytics/alerts/summary", headers=site.headers)).json() == {
        "open": 0
    }
    # breaching again later opens a new firing (history keeps both)
    rules = (await client.get("/api/analytics/alerts/rules", headers=site.headers)).json()
    assert rules[0]["open_alerts"] == 0


async def test_each_campaign_apart_and_organization_scoping(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    d = local_today() - timedelta(days=1)
    await _spend_days(databases, org, [d, d - timedelta(days=1)])
    await store_spend(
        databases,
        org,
        "google",
        "g_1",
        [ad_row(d, BRAND, ("ga1", "Text"), "50", ad_set=("gs1", "Brand"))],
    )
    await _rule(
        client,
        site.headers,
        name="CPA",
        metric="real_cpa",
        comparator="above",
        threshold="80",
        window_days=2,
        scope="each_campaign",
    )
    result = await _evaluate(databases, org, d)
    # 111 spent on both days with no sale (CPA infinite); 222 only on D (no value on D-1).
    assert result.result.opened == 1
    [event] = (await client.get("/api/analytics/alerts/events", headers=site.headers)).json()
    assert event["subject_key"] == "meta:act_1:111"
    assert event["figures"][0]["value"] is None  # an infinite CPA has no number

    other = await make_site(client, databases)
    assert (await client.get("/api/analytics/alerts/events", headers=other.headers)).json() == []
    assert (await client.get("/api/analytics/alerts/rules", headers=other.headers)).json() == []
    rule_id = (await client.get("/api/analytics/alerts/rules", headers=site.headers)).json()[0][
        "id"
    ]
    stranger = await client.delete(f"/api/analytics/alerts/rules/{rule_id}", headers=other.headers)
    assert stranger.status_code == 404
    evaluated = await _evaluate(databases, other.account.organization_id, d)
    assert evaluated.result.opened == 0

    # pausing the rule resolves its open firing at the next evaluation
    rule = (await client.get("/api/analytics/alerts/rules", headers=site.headers)).json()[0]
    paused = await client.put(
        f"/api/analytics/alerts/rules/{rule_id}",
        headers=site.headers,
        json={
            **{k: rule[k] for k in ("name", "metric", "comparator", "threshold", "window_days")},
            "scope": "each_campaign",
            "is_active": False,
        },
    )
    assert paused.status_code == 200, paused.text
    assert (await _evaluate(databases, org, d)).result.resolved == 1
    assert (await client.get("/api/analytics/alerts/summary", headers=site.headers)).json() == {
        "open": 0
    }
    # deleting the rule keeps the history
    assert (
        await client.delete(f"/api/analytics/alerts/rules/{rule_id}", headers=site.headers)
    ).status_code == 204
    [kept] = (await client.get("/api/analytics/alerts/events", headers=site.headers)).json()
    assert kept["status"] == "resolved"
    assert kept["rule_name"] is None  # the rule is gone


async def _webhook_credential(client, headers, url: str) -> str:
    response = await client.post(
        "/api/credentials",
        headers=headers,
        json={
            "name": "Alerts hook",
            "service": "webhook",
            "api_key": "unused-key-0000000000",
            "api_secret": SECRET,
            "api_url": url,
            "settings": {},
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_signed_webhook_verified_by_the_receiver(client, databases, settings, receiver):
    site = await make_site(client, databases)
    org = site.account.organization_id
    yesterday = local_today() - timedelta(days=1)
    await _spend_days(databases, org, [yesterday])
    credential = await _webhook_credential(client, site.headers, receiver.url + "/hooks/rastro")
    await _rule(
        client,
        site.headers,
        metric="spend_pace",
        comparator="above",
        threshold="1.2",
        window_days=1,
        daily_budget="50",
        webhook_credential_id=credential,
    )
    receiver.fail(1, 503)  # the first attempt fails: retried through the queue
    evaluated = await client.post("/api/analytics/alerts/evaluate", headers=site.headers)
    assert evaluated.status_code == 200, evaluated.text
    assert evaluated.json()["opened"] == 1
    [event] = (await client.get("/api/analytics/alerts/events", headers=site.headers)).json()
    [delivery_id] = [str(d) for d in await _pending(databases, org)]
    crm, bi = TransactionBoundary(databases.crm), TransactionBoundary(databases.bi)
    keyring = Keyring(settings.encryption_key_value)
    config = alert_delivery.DeliveryConfig(retry_base_seconds=0.01)
    first = await alert_delivery.attempt(
        crm, bi, keyring, organization_id=org, delivery_id=delivery_id, config=config
    )
    assert first.status == "pending"
    assert first.retry_at is not None
    second = await alert_delivery.attempt(
        crm, bi, keyring, organization_id=org, delivery_id=delivery_id, config=config
    )
    assert second.status == "success"
    # a delivered one is not sent again
    again = await alert_delivery.attempt(
        crm, bi, keyring, organization_id=org, delivery_id=delivery_id, config=config
    )
    assert again.status == "skipped"
    assert len(receiver.requests) == 2
    assert receiver.verified == [True]  # the scripted 503 was answered before verifying
    request = receiver.requests[-1]
    assert request.path == "/hooks/rastro"
    assert request.headers["x-rastro-event"] == "alert.opened"
    assert request.headers["x-rastro-delivery"] == delivery_id
    body = orjson.loads(request.body)
    assert body["alert"]["id"] == event["id"]
    assert body["alert"]["rule"]["metric"] == "spend_pace"
    assert body["alert"]["figures"][0]["value"] == 2.0  # R$ 100 against a R$ 50 budget
    [shown] = (await client.get("/api/analytics/alerts/events", headers=site.headers)).json()
    assert shown["deliveries"][0]["status"] == "success"
    assert shown["deliveries"][0]["attempts"] == 2


async def test_a_wrong_secret_fails_the_delivery_at_once(client, databases, settings, receiver):
    site = await make_site(client, databases)
    org = site.account.organization_id
    yesterday = local_today() - timedelta(days=1)
    await _spend_days(databases, org, [yesterday])
    receiver.secret = "another-secret-entirely-0000"
    credential = await _webhook_credential(client, site.headers, receiver.url)
    await _rule(
        client,
        site.headers,
        metric="real_roas",
        window_days=1,
        webhook_credential_id=credential,
    )
    await client.post("/api/analytics/alerts/evaluate", headers=site.headers)
    await drain_jobs(settings, databases, queues=["alerts"])
    assert receiver.verified == [False]
    [shown] = (await client.get("/api/analytics/alerts/events", headers=site.headers)).json()
    assert shown["deliveries"][0]["status"] == "failed"
    assert shown["deliveries"][0]["http_status"] == 401


async def _pending(databases, org):
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        return list(
            await bi.scalars(select(AlertDelivery.id).where(AlertDelivery.status == "pending"))
        )


async def test_validation_is_a_clear_4xx(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    await _spend_days(databases, org, [local_today() - timedelta(days=1)])
    url = "/api/analytics/alerts/rules"
    base = {"name": "R", "metric": "real_roas", "comparator": "below", "threshold": "1.5"}

    async def post(**changes):
        return await client.post(url, headers=site.headers, json={**base, **changes})

    unknown = await post(metric="happiness")
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["loc"] == "body.metric"
    assert (await post(comparator="around")).status_code == 422
    assert (await post(window_days=0)).status_code == 422
    assert (await post(window_days=31)).status_code == 422
    assert (await post(threshold="-1")).status_code == 422
    no_budget = await post(metric="spend_pace", comparator="above", threshold="1.2")
    assert no_budget.status_code == 422
    assert no_budget.json()["error"]["details"][0]["loc"] == "body.daily_budget"
    assert (await post(scope="campaign")).status_code == 422  # no campaign named
    never = await post(scope="campaign", platform="meta", campaign_id="999")
    assert never.status_code == 422
    assert (await post(platform="meta")).status_code == 422  # campaign fields without scope
    foreign = await post(webhook_credential_id="0190d9b4-8c4a-7b1e-9a3f-1b2c3d4e5f60")
    assert foreign.status_code == 422
    assert foreign.json()["error"]["code"] == "unknown_reference"
    meta_credential = await client.post(
        "/api/credentials",
        headers=site.headers,
        json={"name": "m", "service": "meta_ads", "api_key": "EAAB-0000000000000", "settings": {}},
    )
    not_a_hook = await post(webhook_credential_id=meta_credential.json()["id"])
    assert not_a_hook.status_code == 422
    missing = await client.put(
        f"{url}/0190d9b4-8c4a-7b1e-9a3f-1b2c3d4e5f60", headers=site.headers, json=base
    )
    assert missing.status_code == 404
    assert (
        await client.get("/api/analytics/alerts/events?status=maybe", headers=site.headers)
    ).status_code == 422
    assert (await client.post(url, json=base)).status_code == 401
    metrics = (await client.get("/api/analytics/alerts/metrics", headers=site.headers)).json()
    assert {m["name"] for m in metrics} >= {"real_roas", "real_cpa", "spend_pace"}


async def test_the_hourly_job_evaluates_every_organization_and_delivers(
    client, databases, settings, receiver
):
    site = await make_site(client, databases)
    org = site.account.organization_id
    quiet = await make_site(client, databases)  # has a rule, no spend: nothing opens
    yesterday = local_today() - timedelta(days=1)
    await _spend_days(databases, org, [yesterday])
    credential = await _webhook_credential(client, site.headers, receiver.url)
    await _rule(
        client, site.headers, metric="real_roas", window_days=1, webhook_credential_id=credential
    )
    await _rule(client, quiet.headers, metric="real_roas", window_days=1)
    set_job_context(JobContext(databases=databases, settings=settings))
    try:
        assert await health_jobs.evaluate_alerts(0) == 1
        # a second run opens nothing new and queues no second delivery
        assert await health_jobs.evaluate_alerts(0) == 0
    finally:
        set_job_context(None)
    await drain_jobs(settings, databases, queues=["alerts"])
    assert receiver.verified == [True]
    assert orjson.loads(receiver.requests[0].body)["event"] == "alert.opened"
    assert (await client.get("/api/analytics/alerts/summary", headers=quiet.headers)).json() == {
        "open": 0
    }
    # a delivery left pending (a worker died) is queued again by the next run
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        [delivery] = list(await bi.scalars(select(AlertDelivery)))
        delivery.status = "pending"
        delivery.next_attempt_at = datetime.now(UTC) - timedelta(hours=1)
    evaluated = await alerts.evaluate_all(
        TransactionBoundary(databases.crm),
        TransactionBoundary(databases.bi),
        now=datetime.now(UTC),
    )
    assert evaluated.deliveries == [(org, delivery.id)]
    assert evaluated.opened == {}
