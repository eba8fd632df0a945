"""Contacts, deals, tasks, notes and the activity feed through the API."""

from __future__ import annotations

from tests.auth.factories import auth_headers, make_account
from tests.crm.factories import make_leads


async def test_contacts_create_search_patch_and_detail(client, databases, org, other_org):
    h = org.headers
    created = await client.post(
        "/api/contacts",
        headers=h,
        json={
            "email": " Bia@Loja.com.br ",
            "phone": "(11) 98888-7777",
            "name": "Beatriz Rocha",
            "company": "Loja Rocha",
            "owner_id": str(org.admin.user_id),
            "metadata": {"vip": True},
        },
    )
    assert created.status_code == 201, created.text
    contact = created.json()
    assert (contact["email"], contact["phone"]) == ("bia@loja.com.br", "+5511988887777")
    assert contact["owner"]["email"] == org.admin.email
    assert contact["metadata"] == {"vip": True}
    duplicate = await client.post("/api/contacts", headers=h, json={"email": "bia@loja.com.br"})
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["details"]["field"] == "email"
    for bad, field in (
        ({"email": "not-an-email"}, "body.email"),
        ({"name": "n" * 256}, "body.name"),
        ({"phone": "12"}, "body.phone"),
    ):
        response = await client.post("/api/contacts", headers=h, json=bad)
        assert response.status_code == 422, bad
        assert response.json()["error"]["details"][0]["loc"] == field
    assert (await client.post("/api/contacts", headers=h, json={})).status_code == 422
    assert (
        await client.post("/api/contacts", headers=h, json={"name": "X", "phone": "abc"})
    ).json()["error"]["details"][0]["loc"] == "body.phone"
    stranger = await client.post(
        "/api/contacts", headers=h, json={"name": "X", "owner_id": str(other_org.admin.user_id)}
    )
    assert stranger.status_code == 422
    await make_leads(databases, org.id, name="Outro Nome", email="outro@x.com")

    found = (await client.get("/api/contacts", headers=h, params={"q": "rocha"})).json()
    assert [c["contact_id"] for c in found["items"]] == [contact["contact_id"]]
    assert (await client.get("/api/contacts", headers=h, params={"q": "98888-7777"})).json()[
        "total"
    ] == 1
    assert (await client.get("/api/contacts", headers=h)).json()["total"] == 2
    assert (await client.get("/api/contacts", headers=other_org.headers)).json()["total"] == 0

    path = f"/api/contacts/{contact['contact_id']}"
    patched = await client.patch(path, headers=h, json={"company": "Rocha & Filhos", "email": None})
    assert patched.status_code == 200
    assert (patched.json()["company"], patched.json()["email"]) == (
        "Rocha & Filhos",
        "bia@loja.com.br",
    )
    detail = (await client.get(path, headers=h)).json()
    assert [a["activity_type"] for a in detail["activities"]] == [
        "contact_updated",
        "contact_created",
    ]
    assert detail["leads"] == []
    assert detail["deals"] == []
    assert (
        await client.patch(path, headers=other_org.headers, json={"name": "x"})
    ).status_code == 404


async def test_deals_follow_their_lead_and_record_stage_changes(client, databases, org):
    [lead] = await make_leads(databases, org.id)
    h = org.headers
    created = await client.post(
        "/api/deals",
        headers=h,
        json={
            "name": "Plano anual",
            "lead_id": str(lead.lead_id),
            "value": "12000.00",
            "expected_close_date": "2027-01-31",
            "owner_id": str(org.admin.user_id),
        },
    )
    assert created.status_code == 201, created.text
    deal = created.json()
    assert deal["contact_id"] == str(lead.contact_id)  # the lead's contact by default
    assert (deal["stage"], deal["probability"], deal["currency"]) == ("new", 10, "BRL")
    assert deal["closed_at"] is None
    for bad in (
        {"name": "x", "currency": "real"},
        {"name": "x", "value": "1.234"},
        {"name": ""},
        {"name": "x", "stage": "open"},
    ):
        assert (await client.post("/api/deals", headers=h, json=bad)).status_code == 422, bad
    path = f"/api/deals/{deal['deal_id']}"
    won = (await client.patch(path, headers=h, json={"stage": "won", "value": "15000"})).json()
    assert (won["stage"], won["probability"], won["value"]) == ("won", 100, "15000.00")
    assert won["closed_at"] is not None
    feed = (
        await client.get("/api/activities", headers=h, params={"deal_id": deal["deal_id"]})
    ).json()
    # one request, one transaction: the stage change and the value change share an instant
    by_type = {a["activity_type"]: a for a in feed["items"]}
    assert sorted(by_type) == ["deal_created", "deal_stage_changed", "deal_updated"]
    assert feed["items"][-1]["activity_type"] == "deal_created"
    assert by_type["deal_stage_changed"]["data"] == {
        "name": "Plano anual",
        "from": "new",
        "to": "won",
        "value": "15000",
    }
    assert by_type["deal_updated"]["data"]["changes"]["value"] == {
        "from": "12000.00",
        "to": "15000",
    }
    reopened = (await client.patch(path, headers=h, json={"stage": "negotiation"})).json()
    assert reopened["closed_at"] is None
    listed = await client.get(
        "/api/deals",
        headers=h,
        params={"stage": ["negotiation"], "lead_id": str(lead.lead_id), "close_to": "2027-02-01"},
    )
    assert listed.json()["total"] == 1
    assert (await client.get("/api/deals", headers=h, params={"stage": "won"})).json()["total"] == 0
    assert (await client.delete(path, headers=h)).status_code == 204
    assert (await client.get(path, headers=h)).status_code == 404
    lead_feed = (
        await client.get("/api/activities", headers=h, params={"lead_id": str(lead.lead_id)})
    ).json()
    assert lead_feed["items"][0]["activity_type"] == "deal_deleted"


async def test_tasks_assignees_due_dates_and_done(client, databases, org, other_org):
    [lead] = await make_leads(databases, org.id)
    h = org.headers
    outsider = await client.post(
        "/api/tasks",
        headers=h,
        json={"title": "Ligar", "assignee_id": str(other_org.admin.user_id)},
    )
    assert outsider.status_code == 422
    assert outsider.json()["error"]["details"]["field"] == "assignee_id"
    tasks = []
    for title, due in (
        ("Ligar", "2027-01-10T12:00:00Z"),
        ("Enviar proposta", "2027-02-10T12:00:00"),
    ):
        response = await client.post(
            "/api/tasks",
            headers=h,
            json={
                "title": title,
                "due_at": due,
                "lead_id": str(lead.lead_id),
                "assignee_id": str(org.admin.user_id),
            },
        )
        assert response.status_code == 201, response.text
        tasks.append(response.json())
    assert tasks[1]["due_at"].startswith("2027-02-10T12:00:00")
    assert tasks[0]["created_by_id"] == str(org.admin.user_id)
    path = f"/api/tasks/{tasks[0]['task_id']}"
    done = (await client.patch(path, headers=h, json={"done": True})).json()
    assert done["done"] is True
    assert done["done_at"] is not None
    get = lambda **p: client.get("/api/tasks", headers=h, params=p)  # noqa: E731
    open_tasks = (await get(done=False)).json()["items"]
    assert [t["title"] for t in open_tasks] == ["Enviar proposta"]
    # Lists across leads name each task's lead.
    assert open_tasks[0]["lead_name"].startswith("Lead ")
    assert (await get(due_before="2027-02-01T00:00:00Z")).json()["total"] == 1
    assert (await get(due_after="2027-02-01T00:00:00Z")).json()["total"] == 1
    assert (await get(assignee_id=str(org.admin.user_id))).json()["total"] == 2
    undone = (await client.patch(path, headers=h, json={"done": False})).json()
    assert undone["done_at"] is None
    feed = (
        await client.get("/api/activities", headers=h, params={"lead_id": str(lead.lead_id)})
    ).json()["items"]
    assert [a["activity_type"] for a in feed[:2]] == ["task_reopened", "task_done"]
    assert (await client.delete(path, headers=h)).status_code == 204
    assert (await get()).json()["total"] == 1
    assert (await client.delete(path, headers=other_org.headers)).status_code == 404


async def test_notes_are_deleted_by_their_author_or_a_manager(client, databases, org):
    [lead] = await make_leads(databases, org.id)
    analyst = await make_account(databases, role="analyst", organization_id=org.id)
    other_analyst = await make_account(databases, role="analyst", organization_id=org.id)
    ha, hb = await auth_headers(client, analyst), await auth_headers(client, other_analyst)
    assert (await client.post("/api/notes", headers=ha, json={"body": "solto"})).status_code == 422
    notes = []
    for body in ("Cliente pediu desconto", "Retornar amanhã"):
        response = await client.post(
            "/api/notes", headers=ha, json={"body": body, "lead_id": str(lead.lead_id)}
        )
        assert response.status_code == 201, response.text
        notes.append(response.json())
    assert notes[0]["author_id"] == str(analyst.user_id)
    listed = (
        await client.get("/api/notes", headers=ha, params={"lead_id": str(lead.lead_id)})
    ).json()
    assert [n["body"] for n in listed["items"]] == ["Retornar amanhã", "Cliente pediu desconto"]
    denied = await client.delete(f"/api/notes/{notes[0]['note_id']}", headers=hb)
    assert denied.status_code == 403
    assert (await client.delete(f"/api/notes/{notes[0]['note_id']}", headers=ha)).status_code == 204
    assert (
        await client.delete(f"/api/notes/{notes[1]['note_id']}", headers=org.headers)
    ).status_code == 204
    assert (
        await client.get("/api/notes", headers=ha, params={"lead_id": str(lead.lead_id)})
    ).json()["total"] == 0
    feed = (
        await client.get(
            "/api/activities", headers=ha, params={"lead_id": str(lead.lead_id), "page_size": 2}
        )
    ).json()
    assert feed["total"] == 4  # two notes added, two deleted
    assert [a["activity_type"] for a in feed["items"]] == ["note_deleted", "note_deleted"]
    assert feed["items"][0]["actor"] == org.admin.email
