"""Platform health tells the truth (issue 15, item 6): not configured without a credential,
degraded at a high error rate over enough attempts, failing when the platform refuses the
credential (until it is changed) or the circuit is open, healthy otherwise."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from rastro.conversions.service.health import (
    DEGRADED_ERROR_RATE,
    DEGRADED_MIN_ATTEMPTS,
    health_state,
)
from tests.conversions.factories import (
    FAST,
    create_conversion,
    make_lead,
    make_org,
    platform_health,
    sync,
)
from tests.fakes.meta import graph_error


async def _health(client, org, platform: str = "meta") -> dict:
    response = await client.get("/api/conversions/health", headers=org.headers)
    assert response.status_code == 200, response.text
    return platform_health(response.json(), platform)


async def _conversions(client, databases, org, count: int) -> list[uuid.UUID]:
    out = []
    for _ in range(count):
        lead = await make_lead(databases, org, click_ids={"fbclid": "IwAR-health"})
        out.append(uuid.UUID((await create_conversion(client, org, lead))["conversion_id"]))
    return out


async def test_no_credential_is_not_configured(client, databases):
    org = await make_org(client, databases, None)
    for platform in ("meta", "google", "linkedin", "tiktok", "utmify"):
        health = await _health(client, org, platform)
        assert (health["state"], health["reason"]) == ("not_configured", "no_credential")


async def test_a_working_account_is_healthy(client, databases, settings, meta):
    org = await make_org(client, databases, meta)
    await _conversions(client, databases, org, 1)
    assert (await sync(settings, databases)).sent == 1
    health = await _health(client, org)
    assert (health["state"], health["reason"]) == ("healthy", None)


async def test_every_attempt_failing_is_degraded(client, databases, settings, meta):
    org = await make_org(client, databases, meta)
    await _conversions(client, databases, org, DEGRADED_MIN_ATTEMPTS)
    # Rejected events (invalid parameter): the platform answers, the breaker stays closed.
    meta.fail(DEGRADED_MIN_ATTEMPTS, 400, graph_error(100, "Invalid parameter"))
    report = await sync(settings, databases, replace(FAST, concurrency=1))
    assert report.failed == DEGRADED_MIN_ATTEMPTS
    health = await _health(client, org)
    assert health["error_rate_24h"] == 1.0
    assert health["breaker_state"] == "closed"
    assert (health["state"], health["reason"]) == ("degraded", "error_rate")


async def test_an_invalid_token_is_failing_until_the_credential_changes(
    client, databases, settings, meta
):
    org = await make_org(client, databases, meta, token="EAAB-revoked-token")
    await _conversions(client, databases, org, 1)
    report = await sync(settings, databases)
    assert report.failed == 1
    health = await _health(client, org)
    assert (health["state"], health["reason"]) == ("failing", "credential_rejected")
    assert health["credential_rejected_at"] is not None

    # Reconnected (a new token): given its chance again, and the next send proves it.
    fixed = await client.put(
        f"/api/credentials/{org.credential_id}",
        headers=org.headers,
        json={"api_key": "EAAB-fake-system-user-token-1234"},
    )
    assert fixed.status_code == 200, fixed.text
    health = await _health(client, org)
    assert health["state"] == "healthy"
    await _conversions(client, databases, org, 1)
    assert (await sync(settings, databases)).sent == 1
    health = await _health(client, org)
    assert (health["state"], health["credential_rejected_at"]) == ("healthy", None)


async def test_an_open_circuit_is_failing(client, databases, settings, meta):
    org = await make_org(client, databases, meta)
    await _conversions(client, databases, org, 1)
    meta.fail(5, 503, {"error": {"message": "down", "code": 2, "is_transient": True}})
    config = replace(FAST, breaker_failures=2, max_attempts=10)
    t0 = datetime.now(UTC)
    for step in range(2):
        await sync(settings, databases, config, now=t0 + timedelta(hours=step))
    health = await _health(client, org)
    assert (health["state"], health["reason"]) == ("failing", "breaker_open")


@pytest.mark.parametrize(
    ("attempts", "failed", "expected"),
    [
        (0, 0, ("healthy", None)),
        (DEGRADED_MIN_ATTEMPTS - 1, DEGRADED_MIN_ATTEMPTS - 1, ("healthy", None)),
        (10, int(10 * DEGRADED_ERROR_RATE), ("degraded", "error_rate")),
        (10, int(10 * DEGRADED_ERROR_RATE) - 1, ("healthy", None)),
    ],
)
def test_the_error_rate_threshold(attempts: int, failed: int, expected: tuple) -> None:
    assert (
        health_state(
            configured=True,
            credential_rejected=False,
            breaker_state="closed",
            attempts_24h=attempts,
            failed_24h=failed,
        )
        == expected
    )
    assert health_state(
        configured=False,
        credential_rejected=True,
        breaker_state="open",
        attempts_24h=attempts,
        failed_24h=failed,
    ) == ("not_configured", "no_credential")
