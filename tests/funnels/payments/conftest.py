"""One fake gateway of each kind per test that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.asaas import FakeAsaas
from tests.fakes.mercadopago import FakeMercadoPago
from tests.fakes.pagarme import FakePagarme
from tests.fakes.pix_api import FakePixApi
from tests.funnels.payments import factories as f


@pytest.fixture
def mercadopago() -> Iterator[FakeMercadoPago]:
    server = FakeMercadoPago(f.MP_TOKEN, f.MP_SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def asaas() -> Iterator[FakeAsaas]:
    server = FakeAsaas(f.ASAAS_KEY, f.ASAAS_WEBHOOK_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def pagarme() -> Iterator[FakePagarme]:
    server = FakePagarme(f.PAGARME_KEY).start()
    yield server
    server.stop()


@pytest.fixture
def pix_api() -> Iterator[FakePixApi]:
    server = FakePixApi(f.PIX_CLIENT_ID, f.PIX_CLIENT_SECRET, f.PIX_KEY).start()
    yield server
    server.stop()
