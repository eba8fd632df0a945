"""`rastro demo` leaves conversions in every delivery state with their sync log, and
sandbox credentials that the sync jobs can really send to; the sandbox answers like the
platforms and is off in production."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from rastro.auth.demo import ensure_demo_admin
from rastro.auth.models import Credential
from rastro.config import Settings
from rastro.conversions import sandbox
from rastro.conversions.demo import load_demo
from rastro.conversions.models import ConversionSync, OfflineConversion, PlatformSyncLog
from rastro.core.db import Scope
from rastro.core.module import DemoContext
from rastro.crm.demo import load_demo as load_crm_demo
from rastro.tracking.demo import load_demo as load_tracking_demo
from tests.conftest import free_port
from tests.conversions.factories import sync


@pytest.fixture
def sandbox_url(settings: Settings) -> Iterator[str]:
    """The sandbox routes served on 127.0.0.1, as `rastro serve` serves them."""
    app = FastAPI()
    app.state.settings = settings
    app.include_router(sandbox.router)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the sandbox did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


async def _deliveries(databases, organization_id):
    async with databases.crm.transaction(Scope.organization(organization_id)) as s:
        syncs = list(await s.scalars(select(ConversionSync)))
        logs = list(await s.scalars(select(PlatformSyncLog)))
        conversions = list(await s.scalars(select(OfflineConversion)))
        creds = list(await s.scalars(select(Credential)))
    return syncs, logs, conversions, creds


async def test_demo_conversions_in_every_state_then_sent_to_the_sandbox(
    databases, settings, sandbox_url
):
    _, _, organization_id = await ensure_demo_admin(databases)
    context = DemoContext(
        databases,
        organization_id,
        settings.secret_key_value,
        sandbox_url,
        encryption_key=settings.encryption_key_value,
    )
    await load_tracking_demo(context, days=30, sessions_per_day=6)
    await load_crm_demo(context, leads=30)
    line = await load_demo(context)
    assert line is not None
    assert line.startswith("Conversions: ")
    syncs, logs, conversions, creds = await _deliveries(databases, organization_id)

    assert {c.service: c.api_url for c in creds} == {
        "meta": f"{sandbox_url}/api/sandbox/meta",
        "utmify": f"{sandbox_url}/api/sandbox/utmify",
    }
    meta = {s.conversion_id: s for s in syncs if s.platform == "meta"}
    utmify = {s.conversion_id: s for s in syncs if s.platform == "utmify"}
    assert {s.status for s in meta.values()} == {
        "pending",
        "not_applicable",
        "expired",
        "sent",
        "failed",
    }
    assert {"pending", "not_applicable", "expired", "sent"} <= {s.status for s in utmify.values()}
    # The map on the conversion agrees with the delivery rows.
    for conversion in conversions:
        for s in syncs:
            if s.conversion_id == conversion.conversion_id:
                assert conversion.sync_status[s.platform] == s.status
    by_conversion: dict = {}
    for entry in sorted(logs, key=lambda e: e.synced_at):
        by_conversion.setdefault((entry.conversion_id, entry.platform), []).append(entry)

    (failed,) = [s for s in meta.values() if s.status == "failed"]
    history = by_conversion[(failed.conversion_id, "meta")]
    assert [(e.sync_status, e.http_status_code) for e in history] == [
        ("retrying", 503),
        ("failed", 401),
    ]
    assert failed.reason == history[-1].error_message
    assert failed.attempts == 2
    for s in meta.values():
        if s.status == "expired":
            assert "7 days" in s.reason
        if s.status == "not_applicable":
            assert "credential" in s.reason
        if s.status == "sent":
            assert [e.sync_status for e in by_conversion[(s.conversion_id, "meta")]] == ["success"]
    # The refunded order: posted as paid, then as refunded; personal data only hashed.
    (refunded,) = [c for c in conversions if c.order_status == "refunded"]
    posts = by_conversion[(refunded.conversion_id, "utmify")]
    assert [e.request_payload["event"]["status"] for e in posts] == ["paid", "refunded"]
    assert all("email" not in e.request_payload["event"]["customer"] for e in posts)
    # Each sent Meta event carries hashed user data only.
    for entry in logs:
        if entry.platform == "meta":
            assert all(len(v) == 64 for v in entry.request_payload["event"]["user_data"]["em"])

    # The worker sends what is due to the sandbox, which accepts it like the platforms.
    report = await sync(settings, databases, now=datetime.now(UTC) + timedelta(hours=1))
    assert report.sent >= 2
    assert report.failed == 0
    syncs, _, _, _ = await _deliveries(databases, organization_id)
    assert not [s for s in syncs if s.status == "pending"]


async def test_the_sandbox_answers_like_the_platforms_and_is_off_in_production(
    app, client, settings
):
    event = {
        "event_name": "Purchase",
        "event_time": int(time.time()),
        "event_id": "o-1",
        "action_source": "system_generated",
        "user_data": {"em": ["a" * 64]},
    }
    path = "/api/sandbox/meta/v26.0/1/events"
    ok = await client.post(path, json={"data": [event], "access_token": "t"})
    assert ok.status_code == 200
    assert ok.json()["events_received"] == 1
    no_token = await client.post(path, json={"data": [event]})
    assert (no_token.status_code, no_token.json()["error"]["code"]) == (401, 190)
    plain = {**event, "user_data": {"em": ["maria@example.com"]}}
    bad = await client.post(path, json={"data": [plain], "access_token": "t"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, 100)

    orders = "/api/sandbox/utmify/api-credentials/orders"
    order = {
        "orderId": "o-1",
        "platform": "Rastro",
        "paymentMethod": "pix",
        "status": "paid",
        "createdAt": "2026-11-20 10:00:00",
        "customer": {"name": "A", "email": "a@b.co"},
    }
    assert (await client.post(orders, json=order, headers={"x-api-token": "t"})).status_code == 200
    assert (await client.post(orders, json=order)).status_code == 401
    wrong = {**order, "createdAt": "2026-11-20T10:00:00Z"}
    assert (await client.post(orders, json=wrong, headers={"x-api-token": "t"})).status_code == 400

    # In production the sandbox does not exist.
    app.state.settings = settings.model_copy(update={"env": "production"})
    try:
        off = await client.post(path, json={"data": [event], "access_token": "t"})
    finally:
        app.state.settings = settings
    assert off.status_code == 404
    assert off.json()["error"]["code"] == "not_found"
