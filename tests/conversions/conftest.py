"""The fake Meta Conversions API, one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conversions.factories import DATASET_ID, META_TOKEN
from tests.fakes.meta import FakeMeta


@pytest.fixture
def meta() -> Iterator[FakeMeta]:
    server = FakeMeta(META_TOKEN, DATASET_ID).start()
    yield server
    server.stop()
