"""The outbound HTTP layer against a local fake server: retries, backoff, Retry-After."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rastro.core.http import HttpClient, RetryPolicy, resolve_base_url
from tests.fakes.base import FakeServer, Scripted


@pytest.fixture
def fake():
    server = FakeServer().start()
    yield server
    server.stop()


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


async def test_transient_errors_are_retried_with_backoff(fake):
    fake.script.extend([Scripted(503, {"error": "down"}), Scripted(502, {"error": "bad gw"})])
    sleeps = Sleeps()
    async with HttpClient(
        fake.url, retry=RetryPolicy(attempts=4, base_delay=1.0), sleep=sleeps
    ) as http:
        response = await http.post("/v1/events", json={"a": 1})
    assert response.status_code == 200
    assert len(fake.requests) == 3
    assert [r.json for r in fake.requests] == [{"a": 1}] * 3
    assert len(sleeps.calls) == 2
    assert 0 <= sleeps.calls[0] <= 1.0
    assert 0 <= sleeps.calls[1] <= 2.0


async def test_retry_after_is_honoured(fake):
    fake.script.append(Scripted(429, {"error": "slow down"}, headers={"Retry-After": "7"}))
    sleeps = Sleeps()
    async with HttpClient(fake.url, sleep=sleeps) as http:
        response = await http.get("/limited")
    assert response.status_code == 200
    assert sleeps.calls == [7.0]


async def test_client_errors_are_not_retried(fake):
    fake.script.append(Scripted(400, {"error": "invalid field"}))
    sleeps = Sleeps()
    async with HttpClient(fake.url, sleep=sleeps) as http:
        response = await http.post("/v1/events", json={})
    assert response.status_code == 400
    assert len(fake.requests) == 1
    assert sleeps.calls == []


async def test_gives_up_after_the_last_attempt(fake):
    fake.script.extend([Scripted(500)] * 3)
    async with HttpClient(fake.url, retry=RetryPolicy(attempts=3), sleep=Sleeps()) as http:
        response = await http.get("/x")
    assert response.status_code == 500
    assert len(fake.requests) == 3


async def test_timeouts_are_retried(fake):
    fake.script.append(Scripted(200, {"late": True}, delay=1.0))
    async with HttpClient(fake.url, timeout=0.2, sleep=Sleeps()) as http:
        response = await http.get("/slow")
    assert response.json() == {"ok": True, "path": "/slow"}
    assert len(fake.requests) == 2


def test_credential_api_url_wins_over_the_default():
    assert resolve_base_url(None, "https://graph.facebook.com") == "https://graph.facebook.com"
    assert (
        resolve_base_url("http://127.0.0.1:9000/", "https://graph.facebook.com")
        == "http://127.0.0.1:9000"
    )


def test_one_retry_policy_for_calls_and_queued_work():
    queued = RetryPolicy.queued(60.0)
    for retry in range(1, 12):
        ceiling = min(3600.0, 60.0 * 2 ** (retry - 1))
        delays = [queued.delay(retry) for _ in range(50)]
        assert all(0 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # full jitter, not a fixed schedule
    # Never sooner than the server's Retry-After, which is itself capped.
    assert all(queued.delay(1, retry_after=120.0) >= 120.0 for _ in range(50))
    assert queued.delay(1, retry_after=86_400.0) == 3600.0
    assert queued.wait(2, 30.0) >= timedelta(seconds=30)
    in_place = RetryPolicy(base_delay=1.0, max_delay=5.0)
    assert all(in_place.delay(10) <= 5.0 for _ in range(50))
    assert in_place.delay(1, retry_after=7.0) == 5.0
