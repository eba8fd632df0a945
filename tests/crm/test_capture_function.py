"""`rastro_capture_lead()` called directly on the test PostgreSQL (no HTTP, no capture
service): the typed contract of `crm/contracts.py` against what the function really takes
and returns, duplicates stored once, stitching by e-mail else phone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text

from rastro.core.db import SYSTEM, Databases
from rastro.core.ids import uuid7
from rastro.core.personal import blind_index, seal, seal_json
from rastro.core.units import TransactionBoundary
from rastro.crm.contracts import RASTRO_CAPTURE_LEAD, CapturedLead, CaptureLeadCall
from rastro.crm.models import Contact
from rastro.crm.sealed import sealed
from tests.auth.factories import make_account


def _call(
    org: uuid.UUID,
    *,
    email: str | None = "ana@empresa.com.br",
    phone: str | None = None,
    form_key: str = "hero",
    key: str | None = None,
    visitor_id: str | None = "v_capture_fn",
) -> CaptureLeadCall:
    """A submission as the capture service prepares it (fresh ids every time)."""
    now = datetime.now(UTC)
    lead_id = uuid7()
    person = email or phone or ""
    return {
        "org": org,
        "lock_person": f"lead-person:{org}:{person}",
        "lock_key": f"lead-key:{org}:{key}" if key else None,
        "idempotency_key": key,
        "form_index": blind_index("form", form_key),
        "window_seconds": 600,
        "contact": {
            "contact_id": uuid7(),
            "email_encrypted": sealed("contacts", "email", email),
            "email_index": blind_index("email", email),
            "hashed_email": "e" * 64 if email else None,
            "phone_encrypted": sealed("contacts", "phone", phone),
            "phone_index": blind_index("phone", phone),
            "hashed_phone": "f" * 64 if phone else None,
            "name_encrypted": sealed("contacts", "name", "Ana"),
            "company_encrypted": None,
            "visitor_id": visitor_id,
            "terms": {"email": [], "phone": [], "name": [], "company": []},
        },
        "lead_terms": [],
        "lead": {
            "lead_id": lead_id,
            "session_id": None,
            "visitor_id": visitor_id,
            "utm_tracking_id": None,
            "page_id": None,
            "domain_id": None,
            "external_id": None,
            "name_encrypted": sealed("leads", "name", "Ana"),
            "email_encrypted": sealed("leads", "email", email),
            "email_index": blind_index("email", email),
            "hashed_email": "e" * 64 if email else None,
            "company_encrypted": None,
            "phone_encrypted": sealed("leads", "phone", phone),
            "phone_index": blind_index("phone", phone),
            "hashed_phone": "f" * 64 if phone else None,
            "extensions": None,
            "message_encrypted": None,
            "form_location": form_key,
            "lead_score": "C",
            "is_business_email": True if email else None,
            "email_domain": email.split("@")[1] if email else None,
            "time_to_conversion": None,
            "created_at": now,
            "metadata_encrypted": seal_json({"form_key": form_key}, context="leads.metadata"),
            "form_index": blind_index("form", form_key),
            "form_fields_kept": False,
            "current_stage": "new",
            "stage_changed_at": now,
            "probability": 10,
            "source": None,
            "medium": None,
            "campaign": None,
            "channel": None,
            "attribution_status": "no_session",
            "idempotency_key": key,
        },
        "stage": {"stage_id": uuid7()},
        "activity": {
            "activity_id": uuid7(),
            "summary_encrypted": seal(f"Lead from {form_key}", context="activities.summary"),
            "data_encrypted": seal_json(
                {"score": "C", "channel": None, "attribution": "no_session"},
                context="activities.data",
            ),
        },
        "outbox": {
            "id": uuid7(),
            "topic": "crm.lead_converted",
            "payload": {
                "lead_id": lead_id,
                "session_id": None,
                "visitor_id": visitor_id,
                "utm_tracking_id": None,
                "converted_at": now,
            },
        },
    }


async def _capture(databases: Databases, call: CaptureLeadCall) -> CapturedLead:
    return await TransactionBoundary(databases.crm).call(RASTRO_CAPTURE_LEAD, call)


async def _count(databases: Databases, table: str) -> int:
    async with databases.crm.transaction(SYSTEM) as session:
        return int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


async def _outbox(databases: Databases) -> list[dict[str, Any]]:
    async with databases.crm.transaction(SYSTEM) as session:
        rows = await session.execute(text("SELECT topic, payload FROM outbox ORDER BY id"))
        return [dict(row._mapping) for row in rows]


async def test_a_new_lead_and_the_result_is_the_contract(databases: Databases) -> None:
    account = await make_account(databases)
    call = _call(account.organization_id)
    captured = await _capture(databases, call)
    assert set(captured) == CapturedLead.__required_keys__
    assert captured["lead_id"] == str(call["lead"]["lead_id"])
    assert captured["contact_id"] == str(call["contact"]["contact_id"])
    assert captured["duplicate"] is False
    assert (captured["lead_score"], captured["current_stage"]) == ("C", "new")
    assert captured["utm_tracking_id"] is None
    for table in ("leads", "contacts", "lead_stages", "activities", "outbox"):
        assert await _count(databases, table) == 1, table
    (message,) = await _outbox(databases)
    assert message["topic"] == "crm.lead_converted"
    assert message["payload"]["visitor_ids"] == ["v_capture_fn"]  # added by the function


async def test_a_duplicate_submission_is_stored_once(databases: Databases) -> None:
    account = await make_account(databases)
    org = account.organization_id
    first = await _capture(databases, _call(org, key="submit-1"))
    # The same idempotency key (a retried request): the lead already stored, nothing new.
    again = await _capture(databases, _call(org, key="submit-1", email="outra@empresa.com.br"))
    # The same person on the same form within the window, without a key.
    twice = await _capture(databases, _call(org))
    assert again["duplicate"] is True
    assert twice["duplicate"] is True
    assert again["lead_id"] == twice["lead_id"] == first["lead_id"]
    assert again["contact_id"] == first["contact_id"]
    for table in ("leads", "contacts", "lead_stages", "activities", "outbox"):
        assert await _count(databases, table) == 1, table


async def test_another_form_is_another_lead_of_the_same_contact(databases: Databases) -> None:
    account = await make_account(databases)
    org = account.organization_id
    first = await _capture(databases, _call(org, form_key="hero"))
    second = await _capture(databases, _call(org, form_key="rodape", visitor_id="v_other"))
    assert second["duplicate"] is False
    assert second["lead_id"] != first["lead_id"]
    assert second["contact_id"] == first["contact_id"]  # stitched by e-mail
    assert await _count(databases, "leads") == 2
    assert await _count(databases, "contacts") == 1
    messages = await _outbox(databases)
    assert sorted(messages[-1]["payload"]["visitor_ids"]) == ["v_capture_fn", "v_other"]


async def test_a_phone_only_submission_is_matched_by_phone(databases: Databases) -> None:
    account = await make_account(databases)
    org = account.organization_id
    first = await _capture(databases, _call(org, email=None, phone="+5511987654321"))
    twice = await _capture(databases, _call(org, email=None, phone="+5511987654321"))
    assert first["duplicate"] is False
    assert twice["duplicate"] is True
    assert twice["lead_id"] == first["lead_id"]
    # With an e-mail added later, the contact is found by phone and completed.
    other_form = _call(org, phone="+5511987654321", form_key="popup")
    third = await _capture(databases, other_form)
    assert third["duplicate"] is False
    assert third["contact_id"] == first["contact_id"]
    async with databases.crm.transaction(SYSTEM) as session:
        email = await session.scalar(select(Contact.email))
    assert email == "ana@empresa.com.br"


async def test_another_organization_never_sees_the_lead(databases: Databases) -> None:
    one, other = await make_account(databases), await make_account(databases)
    first = await _capture(databases, _call(one.organization_id, key="shared-key"))
    second = await _capture(databases, _call(other.organization_id, key="shared-key"))
    assert second["duplicate"] is False
    assert second["lead_id"] != first["lead_id"]
    assert second["contact_id"] != first["contact_id"]
