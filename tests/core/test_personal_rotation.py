"""Key rotation of the personal data (every encrypted column: contacts, leads and their
metadata, timeline entries, notes, tasks, deals, stage reasons, payments, webhook
payloads, recovery contacts, data-subject requests): after it every value opens with the
new key alone, and no stored value names the old key."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from rastro.auth.jobs import rotate_personal_data
from rastro.config import generate_encryption_key
from rastro.core import personal, personal_rotation
from rastro.core.db import Scope
from rastro.core.jobs import JobContext, set_job_context
from rastro.core.security import Keyring, KeyringError
from rastro.crm.models import Activity, Contact, Deal, Lead, LeadStage, Note, Task
from rastro.funnels.payments.models import Payment
from rastro.funnels.recovery.models import RecoveryCase
from rastro.integrations.models import WebhookDelivery
from rastro.privacy.models import SubjectRequest
from rastro.runtime import configure_personal_data
from tests.auth.factories import auth_headers
from tests.crm.capture_setup import capture_form, post_capture
from tests.tracking.factories import make_site


@pytest.fixture
def restore_keys(settings):
    yield
    configure_personal_data(settings)


async def _populate(client, databases):
    site = await make_site(client, databases)
    for n in range(3):
        body = capture_form(site, email=f"pessoa{n}@empresa.com.br", phone=f"1198765432{n}")
        assert (await post_capture(client, body)).status_code == 201
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
        # The free text and documents about a person (one row each).
        lead = await session.scalar(select(Lead).limit(1))
        assert lead is not None
        session.add(Note(lead_id=lead.lead_id, body="Ligar para pessoa0@empresa.com.br"))
        session.add(Task(lead_id=lead.lead_id, title="Retorno", description="11 98765-4320"))
        session.add(Deal(lead_id=lead.lead_id, name="Proposta Pessoa"))
        session.add(
            LeadStage(lead_id=lead.lead_id, stage_name="lost", changed_by="x", reason="sem verba")
        )
        now = datetime.now(UTC)
        session.add(
            RecoveryCase(
                kind="pix_unpaid",
                amount=Decimal("10.00"),
                contact={"email": "comprador@x.com"},
                detected_at=now,
                resume_expires_at=now,
            )
        )
        session.add(SubjectRequest(kind="export", subject_email="titular@x.com", due_at=now))
    return site


async def _read_all(databases, org):
    async with databases.crm.transaction(Scope.organization(org)) as session:
        leads = list(await session.scalars(select(Lead).order_by(Lead.email_index)))
        contacts = list(await session.scalars(select(Contact)))
        payment = await session.scalar(select(Payment))
        delivery = await session.scalar(select(WebhookDelivery))
        free_text = [
            sorted(a.summary for a in await session.scalars(select(Activity))),
            [n.body for n in await session.scalars(select(Note))],
            [(t.title, t.description) for t in await session.scalars(select(Task))],
            [d.name for d in await session.scalars(select(Deal))],
            [s.reason for s in await session.scalars(select(LeadStage)) if s.reason],
            [c.contact for c in await session.scalars(select(RecoveryCase))],
            [r.subject_email for r in await session.scalars(select(SubjectRequest))],
        ]
    assert payment is not None
    assert delivery is not None
    return (
        sorted(
            (lead.email, lead.phone, lead.name, lead.message, lead.metadata_["form_key"])
            for lead in leads
        ),
        sorted((c.email, c.phone, c.company) for c in contacts),
        payment.customer_data,
        delivery.payload,
        free_text,
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
    # 3 leads, 3 contacts and their 3 timeline entries (2 rows a batch), one row of each
    # other table with encrypted columns.
    assert report.key_id == new_id
    assert report.rows == {
        "contacts": 3,
        "leads": 3,
        "activities": 3,
        "notes": 1,
        "tasks": 1,
        "deals": 1,
        "lead_stages": 1,
        "payments": 1,
        "crm_webhook_deliveries": 1,
        "recovery_cases": 1,
        "privacy_subject_requests": 1,
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
        assert await rotate_personal_data(batch=1) == 17
    finally:
        set_job_context(None)
    personal.configure(Keyring(new), settings.blind_index_key_value)
    assert await _read_all(databases, org) == before
