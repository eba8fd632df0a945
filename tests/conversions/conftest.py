"""The fake Meta Conversions API, UTMify orders API, Google Ads API, Google Data Manager
API, LinkedIn Conversions API and TikTok Events API, one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conversions.factories import DATASET_ID, META_TOKEN, UTMIFY_TOKEN
from tests.conversions.google_setup import (
    ACTION_ID,
    CUSTOMER_ID,
    DEVELOPER_TOKEN,
    MANAGER_ID,
    TOKEN,
)
from tests.conversions.linkedin_tiktok_setup import (
    EVENT_SET,
    LINKEDIN_TOKEN,
    PIXEL,
    RULE_ID,
    TIKTOK_TOKEN,
)
from tests.fakes.google_ads import FakeGoogleAds
from tests.fakes.google_data_manager import FakeDataManager
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.meta import FakeMeta
from tests.fakes.tiktok import FakeTikTok
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


@pytest.fixture
def google_ads() -> Iterator[FakeGoogleAds]:
    server = FakeGoogleAds(
        TOKEN,
        CUSTOMER_ID,
        actions=(ACTION_ID,),
        developer_token=DEVELOPER_TOKEN,
        login_customer_id=MANAGER_ID,
    ).start()
    yield server
    server.stop()


@pytest.fixture
def data_manager() -> Iterator[FakeDataManager]:
    server = FakeDataManager(TOKEN, CUSTOMER_ID, actions=(ACTION_ID,)).start()
    yield server
    server.stop()


@pytest.fixture
def linkedin() -> Iterator[FakeLinkedIn]:
    server = FakeLinkedIn(LINKEDIN_TOKEN, {RULE_ID, "777"}).start()
    yield server
    server.stop()


@pytest.fixture
def tiktok() -> Iterator[FakeTikTok]:
    server = FakeTikTok(TIKTOK_TOKEN, PIXEL, EVENT_SET).start()
    yield server
    server.stop()
