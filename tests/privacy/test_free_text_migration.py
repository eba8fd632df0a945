"""Migration 0042 seals the free text and documents stored before it (metadata, timeline
entries, notes, tasks, deals, stage reasons, recovery contacts, data-subject requests) with
their blind indexes, and its downgrade opens them again."""

from __future__ import annotations

import uuid

import psycopg
from psycopg.types.json import Jsonb

from rastro.core import migrations
from rastro.core.personal import blind_index, unseal, unseal_json
from tests.plaintext_scan import plaintext_hits

EMAIL, PHONE = "ana@velha.com", "+5511955554444"
NEEDLES = [EMAIL, "955554444"]


def _populate(admin: str) -> dict[str, uuid.UUID]:
    ids = {name: uuid.uuid4() for name in ("org", "contact", "lead", "deal", "case", "request")}
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO organizations (id, name, slug) VALUES (%s, 'Org', %s)",
            (ids["org"], f"org-{ids['org'].hex[:8]}"),
        )
        conn.execute(
            "INSERT INTO contacts (contact_id, organization_id, metadata) VALUES (%s, %s, %s)",
            (ids["contact"], ids["org"], Jsonb({"alternativo": EMAIL})),
        )
        conn.execute(
            "INSERT INTO leads (lead_id, organization_id, contact_id, lead_score, metadata) "
            "VALUES (%s, %s, %s, 'C', %s)",
            (
                ids["lead"],
                ids["org"],
                ids["contact"],
                Jsonb({"form_key": "hero", "form": {"recado": PHONE}}),
            ),
        )
        conn.execute(
            "INSERT INTO activities (activity_id, organization_id, lead_id, activity_type, "
            "summary, data) VALUES (%s, %s, %s, 'note_added', %s, %s)",
            (uuid.uuid4(), ids["org"], ids["lead"], f"Note: {EMAIL}", Jsonb({"body": EMAIL})),
        )
        conn.execute(
            "INSERT INTO deals (deal_id, organization_id, lead_id, name) VALUES (%s, %s, %s, %s)",
            (ids["deal"], ids["org"], ids["lead"], f"Proposta {EMAIL}"),
        )
        conn.execute(
            "INSERT INTO notes (note_id, organization_id, lead_id, body) VALUES (%s, %s, %s, %s)",
            (uuid.uuid4(), ids["org"], ids["lead"], f"Ligar {PHONE}"),
        )
        conn.execute(
            "INSERT INTO tasks (task_id, organization_id, lead_id, title, description) "
            "VALUES (%s, %s, %s, %s, NULL)",
            (uuid.uuid4(), ids["org"], ids["lead"], f"Ligar {PHONE}"),
        )
        conn.execute(
            "INSERT INTO lead_stages (stage_id, organization_id, lead_id, stage_name, "
            "changed_by, reason) VALUES (%s, %s, %s, 'lost', 'x', %s)",
            (uuid.uuid4(), ids["org"], ids["lead"], f"Respondeu de {EMAIL}"),
        )
        conn.execute(
            "INSERT INTO recovery_cases (id, organization_id, kind, contact, amount, "
            "detected_at, resume_expires_at) VALUES (%s, %s, 'pix_unpaid', %s, 10, now(), now())",
            (ids["case"], ids["org"], Jsonb({"email": EMAIL, "phone": PHONE})),
        )
        conn.execute(
            "INSERT INTO privacy_subject_requests (request_id, organization_id, kind, "
            "subject_email, subject_phone, due_at) VALUES (%s, %s, 'erase', %s, %s, now())",
            (ids["request"], ids["org"], EMAIL, PHONE),
        )
    return ids


async def test_0042_seals_rows_stored_before_it_and_opens_them_when_downgraded(pg_server, settings):
    name = f"rastro_crm_0042_{uuid.uuid4().hex[:8]}"
    pg_server.ensure_databases(name)
    url = pg_server.url(name)
    admin = pg_server.superuser_conninfo(name)
    try:
        migrations.upgrade("crm", url, "0037")
        _populate(admin)
        assert len(plaintext_hits(admin, NEEDLES)) >= 9  # the scan sees them in the clear

        migrations.upgrade("crm", url, "head")
        assert plaintext_hits(admin, NEEDLES) == []
        with psycopg.connect(admin, autocommit=True) as conn:
            metadata, form_index, kept = conn.execute(
                "SELECT metadata_encrypted, form_index, form_fields_kept FROM leads"
            ).fetchone()
            case = conn.execute(
                "SELECT contact_encrypted, contact_email_index, contact_phone_index "
                "FROM recovery_cases"
            ).fetchone()
            request = conn.execute(
                "SELECT subject_email_encrypted, subject_email_index, subject_phone_index "
                "FROM privacy_subject_requests"
            ).fetchone()
            deal = conn.execute("SELECT name_encrypted FROM deals").fetchone()
        assert unseal_json(metadata, context="leads.metadata")["form"] == {"recado": PHONE}
        assert (form_index, kept) == (blind_index("form", "hero"), True)
        assert unseal_json(case[0], context="recovery_cases.contact")["email"] == EMAIL
        assert case[1:] == (blind_index("email", EMAIL), blind_index("phone", PHONE))
        assert unseal(request[0], context="privacy_subject_requests.subject_email") == EMAIL
        assert request[1:] == (blind_index("email", EMAIL), blind_index("phone", PHONE))
        assert unseal(deal[0], context="deals.name") == f"Proposta {EMAIL}"

        migrations.downgrade("crm", url, "0037")
        with psycopg.connect(admin, autocommit=True) as conn:
            back = conn.execute(
                "SELECT l.metadata, d.name, s.reason, r.contact, p.subject_phone "
                "FROM leads l, deals d, lead_stages s, recovery_cases r, "
                "privacy_subject_requests p"
            ).fetchone()
        assert back == (
            {"form_key": "hero", "form": {"recado": PHONE}},
            f"Proposta {EMAIL}",
            f"Respondeu de {EMAIL}",
            {"email": EMAIL, "phone": PHONE},
            PHONE,
        )
    finally:
        pg_server.drop_database(name)
