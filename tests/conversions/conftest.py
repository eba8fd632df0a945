"""The fake Meta Conversions API and the fake UTMify orders API, one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conversions.factories import DATASET_ID, META_TOKEN, UTMIFY_TOKEN
from tests.fakes.meta import FakeMeta
from tests.fakes.utmify import FakeUtmify


@pytest.fixture
def meta() -> Iterator[FakeMeta]:
    server = FakeMeta(META_TOKEN, DATASET_ID).start()
    yield server
    server.stop()


@pytest.fixture
def utmify() -> Iterator[FakeUtmify]:
    server = FakeUtmify(UTMIFY_TOKEN).start()
    yield server
    server.stop()
