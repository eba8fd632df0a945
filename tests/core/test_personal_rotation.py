"""Key rotation of the personal data: after it every value opens with the new key alone,
and no stored value names the old key."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from rastro.auth.jobs import rotate_personal_data
from rastro.config import generate_encryption_key
from rastro.core import personal, personal_rotation
from rastro.core.db import Scope
from rastro.core.jobs import JobContext, set_job_context
from rastro.core.security import Keyring, KeyringError
from rastro.crm.models import Contact, Lead
from rastro.funnels.payments.models import Payment
from rastro.integrations.models import WebhookDelivery
from rastro.runtime import configure_personal_data
from tests.auth.factories import auth_headers
from tests.crm.test_capture import _form, _post
from tests.tracking.factories import make_site


@pytest.fixture
def restore_keys(settings):
    yield
    configure_personal_data(settings)


async def _populate(client, databases):
    site = await make_site(client, databases)
    for n in range(3):
        body = _form(site, email=f"pessoa{n}@empresa.com.br", phone=f"1198765432{n}")
        assert (await _post(client, body)).status_code == 201
    org = site.account.organization_id
    async with databases.crm.transaction(Scope.organization(org)) as session:
        session.add(
            Payment(
                gateway="manual",
                amount=Decimal("10.00"),
                customer_data={"email": "comprador@x.com", "phone": "+5511911112222"},
            )
        )
        session.add(
            WebhookDelivery(
                provider="hubspot",
                external_event_id="e1",
                status="review",
                payload={"event": {"email": "crm@x.com"}},
            )
        )
    return site


async def _read_all(databases, org):
    async with databases.crm.transaction(Scope.organization(org)) as session:
        leads = list(await session.scalars(select(Lead).order_by(Lead.email_index)))
        contacts = list(await session.scalars(select(Contact)))
        payment = await session.scalar(select(Payment))
        delivery = await session.scalar(select(WebhookDelivery))
    assert payment is not None
    assert delivery is not None
    return (
        sorted((lead.email, lead.phone, lead.name, lead.message) for lead in leads),
        sorted((c.email, c.phone, c.company) for c in contacts),
        payment.customer_data,
        delivery.payload,
    )


async def test_rotation_reseals_everything_under_the_new_key(
    client, databases, settings, restore_keys
):
    site = await _populate(client, databases)
    org = site.account.organization_id
    before = await _read_all(databases, org)
    old = settings.encryption_key_value
    new = generate_encryption_key()
    new_id = new.split(":", 1)[0]
    personal.configure(Keyring(f"{new},{old}"), settings.blind_index_key_value)
    assert await personal_rotation.stale_key_ids(databases.crm) == {old.split(":", 1)[0]}

    seen: list[tuple[str, int]] = []
    report = await personal_rotation.rotate(
        databases.crm, batch=2, progress=lambda table, done: seen.append((table, done))
    )
    # 3 leads and 3 contacts (2 rows a batch), one payment, one delivery.
    assert report.key_id == new_id
    assert report.rows == {
        "contacts": 3,
        "leads": 3,
        "payments": 1,
        "crm_webhook_deliveries": 1,
    }
    assert ("leads", 2) in seen
    assert ("leads", 3) in seen
    assert await personal_rotation.stale_key_ids(databases.crm) == set()

    # The old key gone: everything still opens, the same values, the lookups still work.
    personal.configure(Keyring(new), settings.blind_index_key_value)
    assert await _read_all(databases, org) == before
    headers = await auth_headers(client, site.account)
    found = (
        await client.get("/api/leads", headers=headers, params={"q": "pessoa1@empresa.com.br"})
    ).json()
    assert [item["email"] for item in found["items"]] == ["pessoa1@empresa.com.br"]
    # Rotating again finds nothing to do.
    assert (await personal_rotation.rotate(databases.crm)).total == 0


async def test_without_the_old_key_a_value_does_not_open(client, databases, settings, restore_keys):
    org = (await _populate(client, databases)).account.organization_id
    personal.configure(Keyring(generate_encryption_key()), settings.blind_index_key_value)
    with pytest.raises(KeyringError):
        await _read_all(databases, org)


async def test_the_job_rotates_with_progress(client, databases, settings, restore_keys):
    org = (await _populate(client, databases)).account.organization_id
    before = await _read_all(databases, org)
    new = generate_encryption_key()
    personal.configure(
        Keyring(f"{new},{settings.encryption_key_value}"), settings.blind_index_key_value
    )
    set_job_context(JobContext(databases=databases, settings=settings))
    try:
        assert await rotate_personal_data(batch=1) == 8
    finally:
        set_job_context(None)
    personal.configure(Keyring(new), settings.blind_index_key_value)
    assert await _read_all(databases, org) == before
