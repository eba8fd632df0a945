"""CSV imports of contacts: upload and suggested mapping, the job with its progress and
counts, row errors as a CSV of line and code, duplicates stored once, a restart after a
lost batch, and the refusals (not a CSV, a mapping naming unknown columns, a second start,
another organization's import)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from rastro.core.db import SYSTEM, Scope
from rastro.crm.models import Contact
from rastro.crm.service import people
from rastro.email.models import ContactImportRun
from rastro.email.service import import_rows, imports
from tests.email.conftest import Org, contacts, get, post, static_audience
from tests.helpers import drain_jobs

CSV = (
    "E-mail;Nome;Celular;Tags;Cidade\n"
    "ana@exemplo.com.br;Ana Souza;(11) 98765-4321;vip, cliente;São Paulo\n"
    "nao-e-email;Bruno;;;Recife\n"
    "ANA@exemplo.com.br;Ana de novo;;;\n"
    ";Sem E-mail;;;\n"
    "caio@exemplo.com.br;Caio;123;;\n"
    "duda@exemplo.com.br;;;lead|frio;Curitiba\n"
    "\n"
    "eva@exemplo.com.br;Eva;+55 21 99876-5432;;Rio\n"
).encode()
MAPPING = {
    "email": "E-mail",
    "name": "Nome",
    "phone": "Celular",
    "tags": "Tags",
    "attributes": {"cidade": "Cidade"},
}


async def upload(
    client: httpx.AsyncClient, org: Org, content: bytes, name: str = "contatos.csv"
) -> httpx.Response:
    return await client.post(
        "/api/email/contacts/imports",
        headers=org.headers,
        files={"file": (name, content, "text/csv")},
    )


async def run_import(
    client: httpx.AsyncClient, org: Org, settings: Any, databases: Any, content: bytes, **start: Any
) -> dict[str, Any]:
    response = await upload(client, org, content)
    assert response.status_code == 201, response.text
    import_id = response.json()["contact_import"]["import_id"]
    await post(client, org, f"/contacts/imports/{import_id}/start", {"mapping": MAPPING, **start})
    await drain_jobs(settings, databases, queues=["email"])
    result: dict[str, Any] = await get(client, org, f"/contacts/imports/{import_id}")
    return result


async def test_upload_suggests_a_mapping_and_the_job_imports_with_row_errors(
    client, org, settings, databases
) -> None:
    audience = await static_audience(client, org, [])
    response = await upload(client, org, CSV)
    assert response.status_code == 201, response.text
    body = response.json()
    run = body["contact_import"]
    assert run["columns"] == ["E-mail", "Nome", "Celular", "Tags", "Cidade"]
    assert (run["total_rows"], run["status"], run["rows_done"]) == (7, "uploaded", 0)
    assert body["sample_rows"][0]["Nome"] == "Ana Souza"
    assert body["suggested_mapping"] == MAPPING
    import_id = run["import_id"]

    started = await post(
        client,
        org,
        f"/contacts/imports/{import_id}/start",
        {"mapping": MAPPING, "audience_id": audience},
    )
    assert started["status"] == "queued"
    await drain_jobs(settings, databases, queues=["email"])

    done = await get(client, org, f"/contacts/imports/{import_id}")
    assert done["status"] == "done"
    assert (done["rows_done"], done["created"], done["updated"], done["skipped"]) == (7, 3, 0, 4)
    assert done["finished_at"] is not None

    errors = await client.get(
        f"/api/email/contacts/imports/{import_id}/errors.csv", headers=org.headers
    )
    assert errors.status_code == 200
    assert errors.headers["content-type"].startswith("text/csv")
    lines = errors.content.decode("utf-8-sig").splitlines()
    assert lines == [
        "row,code",
        "3,invalid_email",
        "4,duplicate_email",
        "5,missing_email",
        "6,invalid_phone",
    ]
    assert "exemplo" not in errors.text  # codes, never the row's content

    page = await get(client, org, "/contacts?page_size=50")
    by_email = {item["email"]: item for item in page["items"]}
    assert set(by_email) == {"ana@exemplo.com.br", "duda@exemplo.com.br", "eva@exemplo.com.br"}
    assert by_email["ana@exemplo.com.br"]["tags"] == ["cliente", "vip"]
    assert by_email["ana@exemplo.com.br"]["attributes"] == {"cidade": "São Paulo"}
    assert by_email["duda@exemplo.com.br"]["tags"] == ["frio", "lead"]
    assert by_email["ana@exemplo.com.br"]["status"] == "active"
    audiences = await get(client, org, "/audiences")
    assert [a["contacts"] for a in audiences if a["audience_id"] == audience] == [3]
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        ana = await people.person_by_email(session, email="ana@exemplo.com.br")
        assert ana is not None
        assert ana.name == "Ana Souza"
        phones = await session.execute(select(Contact.email, Contact.phone))
        assert dict(phones.all()) == {
            "ana@exemplo.com.br": "+5511987654321",
            "duda@exemplo.com.br": None,
            "eva@exemplo.com.br": "+5521998765432",
        }


async def test_existing_contacts_are_updated_once_and_keep_their_status(
    client, org, other_org, settings, databases
) -> None:
    await contacts(client, org, ["duda@exemplo.com.br"], tags=["antiga"])
    ids = await contacts(client, org, [])
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        from rastro.email.service.contacts import set_status

        await set_status(
            session, contact_id=uuid.UUID(ids["duda@exemplo.com.br"]), status="unsubscribed"
        )
    first = await run_import(client, org, settings, databases, CSV, status="unconfirmed")
    assert (first["created"], first["updated"], first["skipped"]) == (2, 1, 4)
    again = await run_import(client, org, settings, databases, CSV)
    assert (again["created"], again["updated"], again["skipped"]) == (0, 3, 4)

    page = await get(client, org, "/contacts?page_size=50")
    assert page["total"] == 3
    by_email = {item["email"]: item for item in page["items"]}
    assert by_email["duda@exemplo.com.br"]["status"] == "unsubscribed"  # never re-activated
    assert by_email["duda@exemplo.com.br"]["tags"] == ["antiga", "frio", "lead"]
    assert by_email["ana@exemplo.com.br"]["status"] == "unconfirmed"  # the first import's
    statuses = {c["status"]: c["contacts"] for c in await get(client, org, "/contacts/statuses")}
    assert statuses == {
        "active": 0,
        "unconfirmed": 2,
        "suppressed": 0,
        "bounced": 0,
        "complained": 0,
        "unsubscribed": 1,
    }
    others = await get(client, other_org, "/contacts/statuses")
    assert sum(c["contacts"] for c in others) == 0  # this organization's are not counted there
    export = await client.get("/api/email/contacts/export?status=unconfirmed", headers=org.headers)
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "contact_id,email,name,status,tags,created_at,consent_at,consent_ip,"
        "confirmed_at,confirmed_ip"
    )
    assert sorted(line.split(",")[1] for line in lines[1:]) == [
        "ana@exemplo.com.br",
        "eva@exemplo.com.br",
    ]
    foreign = await client.get("/api/email/contacts/export", headers=other_org.headers)
    assert foreign.content.decode("utf-8-sig").splitlines()[1:] == []
    only_duda = await get(client, org, "/contacts?q=DUDA@&status=unsubscribed")
    assert [i["email"] for i in only_duda["items"]] == ["duda@exemplo.com.br"]
    assert (await get(client, org, "/contacts?q=nobody"))["total"] == 0


async def test_a_lost_batch_is_done_again_without_duplicates(client, org, settings, databases):
    rows = "".join(f"pessoa{n}@exemplo.com.br;P {n}\n" for n in range(25))
    content = ("email;nome\n" + rows + "pessoa3@exemplo.com.br;dup\n").encode()
    response = await upload(client, org, content)
    import_id = uuid.UUID(response.json()["contact_import"]["import_id"])
    await post(
        client,
        org,
        f"/contacts/imports/{import_id}/start",
        {"mapping": {"email": "email", "name": "nome"}},
    )
    scope = Scope.organization(org.id)
    async with databases.crm.transaction(scope) as session:
        plan = await import_rows.load_plan(session, import_id=import_id)
    assert plan is not None
    async with databases.crm.transaction(scope) as session:
        assert await import_rows.import_batch(session, plan=plan, batch_size=10)
    progress = await get(client, org, f"/contacts/imports/{import_id}")
    assert (progress["status"], progress["rows_done"], progress["created"]) == ("running", 10, 10)

    class Crash(Exception):
        pass

    async def crash_in_second_batch() -> None:
        async with databases.crm.transaction(scope) as session:
            await import_rows.import_batch(session, plan=plan, batch_size=10)
            raise Crash

    with pytest.raises(Crash):  # the worker dies in the middle of the second batch
        await crash_in_second_batch()

    await drain_jobs(settings, databases, queues=["email"])  # the job runs (again)
    done = await get(client, org, f"/contacts/imports/{import_id}")
    assert (done["status"], done["rows_done"], done["created"], done["skipped"]) == (
        "done",
        26,
        25,
        1,
    )
    assert (await get(client, org, "/contacts?page_size=1"))["total"] == 25
    async with databases.crm.transaction(scope) as session:
        assert await import_rows.load_plan(session, import_id=import_id) is None  # file dropped


async def test_a_latin1_file_with_commas_imports(client, org, settings, databases) -> None:
    content = 'email,nome,tags\njoão@exemplo.com.br,João Conceição,"a,b"\n'.encode("latin-1")
    response = await upload(client, org, content)
    import_id = response.json()["contact_import"]["import_id"]
    await post(
        client,
        org,
        f"/contacts/imports/{import_id}/start",
        {"mapping": {"email": "email", "name": "nome", "tags": "tags"}},
    )
    await drain_jobs(settings, databases, queues=["email"])
    page = await get(client, org, "/contacts")
    assert [(i["email"], i["name"], i["tags"]) for i in page["items"]] == [
        ("joão@exemplo.com.br", "João Conceição", ["a", "b"])
    ]


async def test_refusals(client, org, other_org) -> None:
    binary = await upload(client, org, b"\x00\x01\x02PK")
    assert binary.status_code == 422
    assert binary.json()["error"]["code"] == "validation_error"
    no_file = await client.post("/api/email/contacts/imports", headers=org.headers, data={"x": "y"})
    assert no_file.status_code == 422
    json_body = await client.post("/api/email/contacts/imports", headers=org.headers, json={})
    assert json_body.status_code == 422

    import_id = (await upload(client, org, CSV)).json()["contact_import"]["import_id"]
    path = f"/api/email/contacts/imports/{import_id}/start"
    unknown = await client.post(
        path,
        headers=org.headers,
        json={"mapping": {"email": "Email Address", "attributes": {"bad key!": "Cidade"}}},
    )
    assert unknown.status_code == 422
    assert {d["loc"] for d in unknown.json()["error"]["details"]} == {
        "body.mapping.email",
        "body.mapping.attributes.bad key!",
    }
    foreign_audience = await static_audience(client, other_org, [])
    foreign = await client.post(
        path, headers=org.headers, json={"mapping": MAPPING, "audience_id": foreign_audience}
    )
    assert foreign.status_code == 422
    assert (await client.post(path, headers=org.headers, json={"mapping": MAPPING})).is_success
    twice = await client.post(path, headers=org.headers, json={"mapping": MAPPING})
    assert twice.status_code == 409

    for url in (f"/api/email/contacts/imports/{import_id}", f"{path[:-6]}/errors.csv"):
        assert (await client.get(url, headers=other_org.headers)).status_code == 404
    other_start = await client.post(path, headers=other_org.headers, json={"mapping": MAPPING})
    assert other_start.status_code == 404
    assert (await get(client, other_org, "/contacts/imports")) == []


async def test_a_failing_job_marks_the_import_failed(
    client, org, settings, databases, monkeypatch
) -> None:
    response = await upload(client, org, CSV)
    import_id = response.json()["contact_import"]["import_id"]
    await post(client, org, f"/contacts/imports/{import_id}/start", {"mapping": MAPPING})

    async def broken(*_: Any, **__: Any) -> bool:
        raise RuntimeError("disk full")

    monkeypatch.setattr(import_rows, "import_batch", broken)
    await drain_jobs(settings, databases, queues=["email"])
    failed = await get(client, org, f"/contacts/imports/{import_id}")
    assert (failed["status"], failed["rows_done"]) == ("failed", 0)
    assert failed["finished_at"] is not None
    scope = Scope.organization(org.id)
    async with databases.crm.transaction(scope) as session:
        assert await import_rows.load_plan(session, import_id=uuid.UUID(import_id)) is None


async def test_uploads_never_started_are_deleted_after_a_day(
    client, org, other_org, databases
) -> None:
    old = (await upload(client, org, CSV)).json()["contact_import"]["import_id"]
    foreign_old = (await upload(client, other_org, CSV)).json()["contact_import"]["import_id"]
    started = (await upload(client, org, CSV)).json()["contact_import"]["import_id"]
    await post(client, org, f"/contacts/imports/{started}/start", {"mapping": MAPPING})
    fresh = (await upload(client, org, CSV)).json()["contact_import"]["import_id"]
    async with databases.crm.transaction(SYSTEM) as session:
        await session.execute(
            update(ContactImportRun)
            .where(
                ContactImportRun.import_id.in_([uuid.UUID(i) for i in (old, foreign_old, started)])
            )
            .values(created_at=datetime.now(UTC) - timedelta(days=2))
        )
        assert await imports.purge_abandoned(session, older_than=timedelta(days=1)) == 2
    kept = {r["import_id"] for r in await get(client, org, "/contacts/imports")}
    assert kept == {started, fresh}
    assert await get(client, other_org, "/contacts/imports") == []
