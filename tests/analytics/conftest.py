"""Fixtures shared by the analytics tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.analytics.spend_helpers import ACCESS, ACCESS_2, CLIENT_ID, CLIENT_SECRET, REFRESH
from tests.fakes.oauth import FakeTokenEndpoint


@pytest.fixture
def token_endpoint() -> Iterator[FakeTokenEndpoint]:
    """The fake OAuth token endpoint issuing ACCESS, then ACCESS_2, for REFRESH."""
    server = FakeTokenEndpoint(CLIENT_ID, CLIENT_SECRET, REFRESH, (ACCESS, ACCESS_2)).start()
    yield server
    server.stop()
