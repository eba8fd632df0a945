"""The sync jobs: the retry matrix, never sending twice (also across a worker killed
mid-batch), batching, the circuit breaker, retry now / send again, and a property test
that every conversion ends in exactly one terminal state."""

from __future__ import annotations

import asyncio
import sys
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from rastro.conversions.models import CircuitBreaker, ConversionSync, PlatformSyncLog
from tests.conversions.factories import (
    FAST,
    create_conversion,
    make_lead,
    make_org,
    platform_health,
    rows,
    sync,
)
from tests.fakes.base import Scripted
from tests.fakes.meta import graph_error


async def _one(client, databases, meta):
    org = await make_org(client, databases, meta)
    lead = await make_lead(databases, org, click_ids={"fbclid": "IwAR-test"})
    conversion = await create_conversion(client, org, lead)
    return org, uuid.UUID(conversion["conversion_id"])


async def _state(databases, org, conversion_id):
    (row,) = await rows(
        databases,
        org,
        ConversionSync,
        ConversionSync.conversion_id == conversion_id,
        ConversionSync.platform == "meta",
    )
    return row


async def _meta_health(client, org):
    health = (await client.get("/api/conversions/health", headers=org.headers)).json()
    return [h for h in health if h["platform"] == "meta"]


async def _log(databases, org, conversion_id):
    entries = await rows(
        databases, org, PlatformSyncLog, PlatformSyncLog.conversion_id == conversion_id
    )
    return sorted(entries, key=lambda e: e.attempt)


async def test_429_is_retried_after_retry_after_with_backoff(client, databases, settings, meta):
    org, cid = await _one(client, databases, meta)
    meta.rate_limit(code=17, retry_after="30")
    now = datetime.now(UTC)
    report = await sync(settings, databases, now=now)
    assert (report.requests, report.retrying, report.sent) == (1, 1, 0)
    state = await _state(databases, org, cid)
    assert state.status == "pending"
    assert state.attempts == 1
    assert state.next_attempt_at >= now + timedelta(seconds=30)  # Retry-After honoured
    assert "Meta error 17" in state.reason
    # Not due yet: nothing is sent.
    assert (await sync(settings, databases, now=now + timedelta(seconds=5))).requests == 0
    report = await sync(settings, databases, now=now + timedelta(minutes=5))
    assert report.sent == 1
    log = await _log(databases, org, cid)
    assert [(e.attempt, e.sync_status, e.http_status_code) for e in log] == [
        (1, "retrying", 429),
        (2, "success", 200),
    ]
    assert meta.unique_event_ids == {str(cid)}


async def test_code_100_fails_at_once_and_is_not_retried(client, databases, settings, meta):
    org, cid = await _one(client, databases, meta)
    meta.script.append(Scripted(400, graph_error(100, "Invalid parameter", subcode=2804003)))
    report = await sync(settings, databases)
    assert (report.failed, report.retrying) == (1, 0)
    state = await _state(databases, org, cid)
    assert state.status == "failed"
    assert "Meta error 100/2804003" in state.reason
    assert "fbtrace_id" in state.reason
    later = await sync(settings, databases, now=datetime.now(UTC) + timedelta(days=1))
    assert later.requests == 0
    assert len(meta.event_requests) == 1
    (entry,) = await _log(databases, org, cid)
    assert (entry.sync_status, entry.http_status_code) == ("failed", 400)


async def test_timeouts_500s_and_200_with_error_are_retried(client, databases, settings, meta):
    org, cid = await _one(client, databases, meta)
    meta.hang(seconds=3)  # past the 0.5 s timeout below
    meta.fail(1, 500, {"error": {"message": "An unknown error occurred", "code": 1}})
    meta.error_200(code=2)
    config = replace(FAST, timeout=0.5, max_attempts=5)
    now = datetime.now(UTC)
    for step in range(4):
        await sync(settings, databases, config, now=now + timedelta(hours=step))
    log = await _log(databases, org, cid)
    assert [(e.sync_status, e.http_status_code) for e in log] == [
        ("retrying", None),
        ("retrying", 500),
        ("retrying", 200),
        ("success", 200),
    ]
    assert "Timed out" in log[0].error_message
    assert (await _state(databases, org, cid)).status == "sent"


async def test_transient_failures_give_up_after_max_attempts(client, databases, settings, meta):
    org, cid = await _one(client, databases, meta)
    meta.fail(5, 503, {"error": {"message": "down", "code": 2}})
    config = replace(FAST, max_attempts=3)
    now = datetime.now(UTC)
    for step in range(5):
        await sync(settings, databases, config, now=now + timedelta(hours=step))
    state = await _state(databases, org, cid)
    assert state.status == "failed"
    assert state.attempts == 3
    assert state.reason.startswith("Gave up after 3 attempts")
    assert len(meta.event_requests) == 3

    # Retry now: pending again, sent on the next run.
    retried = await client.post(f"/api/conversions/{cid}/retry", headers=org.headers, json={})
    assert retried.status_code == 200, retried.text
    assert retried.json()["sync_status"]["meta"] == "pending"
    meta.script.clear()
    await sync(settings, databases, config)
    assert (await _state(databases, org, cid)).status == "sent"
    again = await client.post(f"/api/conversions/{cid}/retry", headers=org.headers, json={})
    assert again.status_code == 409


async def test_never_sent_twice_and_resend_keeps_the_event_id(client, databases, settings, meta):
    org, cid = await _one(client, databases, meta)
    # Two workers at once and a later run: one request, one event.
    await asyncio.gather(sync(settings, databases), sync(settings, databases))
    await sync(settings, databases, now=datetime.now(UTC) + timedelta(days=1))
    assert len(meta.event_requests) == 1
    assert [e["event_id"] for e in meta.accepted] == [str(cid)]

    # "Send again" is explicit, and reuses the event id so Meta deduplicates it.
    resend = await client.post(
        f"/api/conversions/{cid}/resend", headers=org.headers, json={"platform": "meta"}
    )
    assert resend.status_code == 200, resend.text
    await sync(settings, databases)
    assert [e["event_id"] for e in meta.accepted] == [str(cid), str(cid)]
    assert meta.unique_event_ids == {str(cid)}
    assert (await _state(databases, org, cid)).status == "sent"
    not_sent = await client.post(
        f"/api/conversions/{cid}/resend", headers=org.headers, json={"platform": "google"}
    )
    assert not_sent.status_code == 409


async def test_batches_hold_up_to_the_platform_limit(
    client, databases, settings, meta, monkeypatch
):
    from rastro.conversions.connectors.meta import MetaConnector

    monkeypatch.setattr(MetaConnector, "batch_limit", 2)
    org = await make_org(client, databases, meta)
    for _ in range(5):
        await create_conversion(client, org, await make_lead(databases, org))
    report = await sync(settings, databases)
    assert (report.requests, report.sent) == (3, 5)
    assert sorted(len(r.json["data"]) for r in meta.event_requests) == [1, 2, 2]
    batches = {e.batch_id for e in await rows(databases, org, PlatformSyncLog)}
    assert len(batches) == 3


_DYING_WORKER = """
import asyncio, os, sys
from rastro.conversions.connectors import CONNECTORS
from rastro.conversions.service.sync import SyncConfig, run_sync
from rastro.core import personal
from rastro.core.db import Database, Databases
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from rastro.modules import load_modules

load_modules()
connector = CONNECTORS["meta"]
real_send = connector.send

async def send_then_die(events, credential, http):
    outcome = await real_send(events, credential, http)
    os._exit(9)  # after Meta accepted the batch, before the commit

connector.send = send_then_die
personal.configure(Keyring(sys.argv[3]), sys.argv[4])  # the leads' personal fields
databases = Databases(crm=Database("crm", sys.argv[1]), bi=Database("bi", sys.argv[2]))
asyncio.run(run_sync(TransactionBoundary(databases.crm), TransactionBoundary(databases.bi), Keyring(sys.argv[3]), SyncConfig()))
"""


async def test_a_worker_killed_mid_batch_loses_nothing_and_meta_dedups(
    client, databases, settings, meta
):
    org, cid = await _one(client, databases, meta)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _DYING_WORKER,
        settings.crm_database_url,
        settings.bi_database_url,
        settings.encryption_key_value,
        settings.blind_index_key_value,
    )
    assert await process.wait() == 9
    assert len(meta.accepted) == 1  # Meta got it...
    state = await _state(databases, org, cid)
    assert (state.status, state.attempts) == ("pending", 0)  # ...but nothing was committed
    assert await _log(databases, org, cid) == []

    report = await sync(settings, databases)
    assert report.sent == 1
    assert [e["event_id"] for e in meta.accepted] == [str(cid), str(cid)]
    assert meta.unique_event_ids == {str(cid)}  # Meta deduplicates on event_id
    assert (await _state(databases, org, cid)).status == "sent"
    assert [e.sync_status for e in await _log(databases, org, cid)] == ["success"]


async def test_the_circuit_breaker_opens_pauses_and_closes(client, databases, settings, meta):
    org, cid = await _one(client, databases, meta)
    meta.fail(20, 503, {"error": {"message": "down", "code": 2, "is_transient": True}})
    config = replace(FAST, breaker_failures=3, breaker_cooldown_seconds=300, max_attempts=20)
    t0 = datetime.now(UTC)
    for step in range(3):
        await sync(settings, databases, config, now=t0 + timedelta(hours=step))
    (breaker,) = await rows(databases, org, CircuitBreaker)
    assert (breaker.state, breaker.consecutive_failures) == ("open", 3)
    opened = t0 + timedelta(hours=2)
    assert breaker.open_until == opened + timedelta(seconds=300)
    health = platform_health(
        (await client.get("/api/conversions/health", headers=org.headers)).json(), "meta"
    )
    assert health["breaker_state"] == "open"
    assert health["queue_length"] == 1
    assert health["error_rate_24h"] == 1.0
    assert health["attempts_24h"] == 3

    # While open, the account is left alone even though the conversion is due.
    report = await sync(settings, databases, config, now=opened + timedelta(seconds=10))
    assert report.requests == 0
    assert report.paused
    assert len(meta.event_requests) == 3

    # After the cool-down one trial batch goes; it fails, so the breaker opens again.
    trial_at = opened + timedelta(hours=1)
    await sync(settings, databases, config, now=trial_at)
    assert len(meta.event_requests) == 4
    (breaker,) = await rows(databases, org, CircuitBreaker)
    assert breaker.state == "open"
    assert breaker.open_until == trial_at + timedelta(seconds=300)

    # Meta is back: the next trial succeeds and closes it.
    meta.script.clear()
    await sync(settings, databases, config, now=trial_at + timedelta(hours=2))
    (breaker,) = await rows(databases, org, CircuitBreaker)
    assert (breaker.state, breaker.consecutive_failures) == ("closed", 0)
    assert (await _state(databases, org, cid)).status == "sent"
    health = platform_health(
        (await client.get("/api/conversions/health", headers=org.headers)).json(), "meta"
    )
    assert health["breaker_state"] == "closed"
    assert health["queue_length"] == 0
    assert health["last_success_at"] is not None


# --- property: exactly one terminal state ------------------------------------------------------

FAILURES = {
    "429": Scripted(429, graph_error(4, "Application request limit reached", transient=True)),
    "500": Scripted(500, {"error": {"message": "unknown", "code": 1}}),
    "200-error": Scripted(200, graph_error(2, "Service temporarily unavailable")),
    "400": Scripted(400, graph_error(100, "Invalid parameter")),
    "190": Scripted(401, graph_error(190, "Invalid OAuth access token")),
}
PERMANENT = {"400", "190"}
MAX_ATTEMPTS = 4


@hsettings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=st.lists(st.sampled_from(sorted(FAILURES)), max_size=6))
async def test_every_conversion_ends_in_exactly_one_terminal_state(
    client, databases, settings, meta, script
):
    meta.script.clear()
    org, cid = await _one(client, databases, meta)
    before = len(meta.event_requests)
    meta.script.extend(FAILURES[name] for name in script)
    config = replace(FAST, max_attempts=MAX_ATTEMPTS, breaker_failures=100)
    now = datetime.now(UTC)
    for step in range(MAX_ATTEMPTS + 2):
        await sync(
            settings, databases, config, now=now + timedelta(hours=step), organization_id=org.id
        )

    # What the rules say should happen to this script.
    expected, attempts = "sent", 0
    for name in [*script, "ok"]:
        attempts += 1
        if name == "ok":
            break
        if name in PERMANENT:
            expected = "failed"
            break
        if attempts == MAX_ATTEMPTS:
            expected = "failed"
            break
    state = await _state(databases, org, cid)
    assert state.status == expected
    assert state.status in {"sent", "failed"}
    assert state.next_attempt_at is None
    assert state.attempts == attempts
    log = await _log(databases, org, cid)
    assert len(log) == attempts == len(meta.event_requests) - before
    terminal = [e.sync_status for e in log if e.sync_status != "retrying"]
    assert terminal == ["success" if expected == "sent" else "failed"]
    sent_ids = [e["event_id"] for e in meta.accepted if e["event_id"] == str(cid)]
    assert len(sent_ids) == (1 if expected == "sent" else 0)
