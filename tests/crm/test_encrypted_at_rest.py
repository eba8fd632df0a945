"""Contacts' and leads' personal fields encrypted at rest: nothing readable in the
database, everything readable through the models, lookups and uniqueness by the blind
indexes, and the migration that encrypts rows stored before it."""

from __future__ import annotations

import hashlib
import uuid

import psycopg
import pytest
from sqlalchemy import select

from rastro.core import migrations, personal
from rastro.core.db import Scope
from rastro.core.personal import blind_index
from rastro.crm.models import Contact, Lead
from rastro.crm.service import people
from tests.crm.capture_setup import capture_form, post_capture
from tests.plaintext_scan import plaintext_hits
from tests.tracking.factories import make_site

EMAIL = "joao.silva@empresa.com.br"
PHONE_DIGITS = "11987654321"
PERSONAL = [EMAIL, "joao.silva", PHONE_DIGITS, "98765-4321", "João Silva", "Empresa XYZ"]


async def test_a_captured_lead_is_stored_encrypted_and_read_in_the_clear(
    client, databases, test_databases
):
    site = await make_site(client, databases)
    response = await post_capture(client, capture_form(site, message="Ligue para João Silva"))
    assert response.status_code == 201, response.text

    crm = test_databases.server.superuser_conninfo(test_databases.crm_name)
    bi = test_databases.server.superuser_conninfo(test_databases.bi_name)
    assert plaintext_hits(crm, PERSONAL) == []
    assert plaintext_hits(bi, PERSONAL) == []
    with psycopg.connect(crm) as conn:
        stored, key_id = conn.execute(
            "SELECT email_encrypted, split_part(email_encrypted, ':', 1) FROM contacts"
        ).fetchone()
    assert key_id == personal.configured().primary_id
    assert EMAIL not in stored

    scope = Scope.organization(site.account.organization_id)
    async with databases.crm.transaction(scope) as session:
        lead = await session.scalar(select(Lead))
        contact = await session.scalar(
            select(Contact).where(Contact.email_index == blind_index("email", EMAIL))
        )
    assert lead is not None
    assert contact is not None
    assert (lead.email, lead.phone, lead.name, lead.company, lead.message) == (
        EMAIL,
        "+55" + PHONE_DIGITS,
        "João Silva",
        "Empresa XYZ",
        "Ligue para João Silva",
    )
    assert (contact.email, contact.name) == (EMAIL, "João Silva")


async def test_lookups_search_and_one_contact_per_email(client, databases, org):
    h = org.headers
    created = await client.post(
        "/api/contacts", headers=h, json={"email": "Bia@Loja.com.br", "phone": "11988887777"}
    )
    assert created.status_code == 201, created.text
    again = await client.post("/api/contacts", headers=h, json={"email": " BIA@loja.com.br"})
    assert again.status_code == 409
    assert again.json()["error"]["details"]["contact_id"] == created.json()["contact_id"]
    for q in ("bia@loja.com.br", "+55 11 98888-7777", "loja"):
        found = (await client.get("/api/contacts", headers=h, params={"q": q})).json()
        assert [c["contact_id"] for c in found["items"]] == [created.json()["contact_id"]], q

    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        person = await people.person_by_email(session, email="bia@loja.com.br")
        assert person is not None
        assert str(person.contact_id) == created.json()["contact_id"]
        # The bulk path (the e-mail module's imports) finds the same contact, creates none.
        ids = await people.upsert_people(
            session,
            people={
                "bia@loja.com.br": people.PersonDetails(name="Bia", phone=None),
                "novo@loja.com.br": people.PersonDetails(name="Novo Nome", phone="+5511977776666"),
            },
        )
        assert str(ids["bia@loja.com.br"]) == created.json()["contact_id"]
        count = len(list(await session.scalars(select(Contact.contact_id))))
        assert count == 2
        filled = await session.get(Contact, ids["bia@loja.com.br"])
        assert filled is not None
        assert filled.name == "Bia"
    found = (await client.get("/api/contacts", headers=h, params={"q": "novo nome"})).json()
    assert [c["contact_id"] for c in found["items"]] == [str(ids["novo@loja.com.br"])]


def test_an_encrypted_column_refuses_a_plain_comparison():
    with pytest.raises(TypeError, match="blind index"):
        _ = Contact.email == EMAIL
    assert Contact.email.is_(None) is not None


def test_the_blind_index_is_keyed_and_not_the_platforms_hash(settings):
    index = blind_index("email", " Ana@X.com ")
    assert index == blind_index("email", "ana@x.com")
    assert index != blind_index("phone", "ana@x.com")
    assert index not in hashlib.sha256(b"ana@x.com").hexdigest()


async def test_the_migration_encrypts_the_rows_stored_before_it(pg_server, settings):
    """At 0030 a contact and a lead in the clear; at head encrypted, readable and
    searchable; downgraded, in the clear again."""
    name = f"rastro_crm_enc_{uuid.uuid4().hex[:8]}"
    pg_server.ensure_databases(name)
    url = pg_server.url(name)
    admin = pg_server.superuser_conninfo(name)
    try:
        migrations.upgrade("crm", url, "0030")
        org, contact, lead = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO organizations (id, name, slug) VALUES (%s, 'Org', %s)",
                (org, f"org-{org.hex[:8]}"),
            )
            conn.execute(
                "INSERT INTO contacts (contact_id, organization_id, email, phone, name) "
                "VALUES (%s, %s, 'ana@velha.com', '+5511955554444', 'Ana Velha')",
                (contact, org),
            )
            conn.execute(
                "INSERT INTO leads (lead_id, organization_id, contact_id, email, phone, name, "
                "message, lead_score) VALUES (%s, %s, %s, 'ana@velha.com', '+5511955554444', "
                "'Ana Velha', 'mensagem antiga', 'C')",
                (lead, org, contact),
            )
        migrations.upgrade("crm", url, "head")
        assert plaintext_hits(admin, ["ana@velha.com", "5511955554444", "Ana Velha"]) == []
        with psycopg.connect(admin, autocommit=True) as conn:
            row = conn.execute(
                "SELECT email_index, email_encrypted FROM contacts WHERE contact_id = %s",
                (contact,),
            ).fetchone()
            terms = conn.execute(
                "SELECT count(*) FROM crm_search_terms WHERE record_id = %s AND term = %s",
                (lead, personal.word_tokens(["velha"])[0]),
            ).fetchone()
        assert row[0] == blind_index("email", "ana@velha.com")
        assert personal.unseal(row[1], context="contacts.email") == "ana@velha.com"
        assert terms == (1,)

        migrations.downgrade("crm", url, "0030")
        with psycopg.connect(admin, autocommit=True) as conn:
            back = conn.execute("SELECT email, phone, name, message FROM leads").fetchone()
        assert back == ("ana@velha.com", "+5511955554444", "Ana Velha", "mensagem antiga")
    finally:
        pg_server.drop_database(name)
