"""The lead list, one lead, the pipeline board and stage changes through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import event

from tests.auth.factories import auth_headers, make_account
from tests.crm.factories import make_leads
from tests.tracking.factories import batch, collect, make_site
from tests.tracking.factories import event as tracker_event


async def test_filters_sort_and_pagination(client, databases, org):
    analyst = await make_account(databases, role="analyst", organization_id=org.id)
    now = datetime.now(UTC)
    old = await make_leads(databases, org.id, 3, created_at=now - timedelta(days=40), score="D")
    won = await make_leads(
        databases,
        org.id,
        2,
        stage="won",
        score="A",
        owner_id=analyst.user_id,
        source="facebook",
        medium="paid_social",
        channel="Paid Social",
        stage_value=Decimal("1500.00"),
        created_at=now - timedelta(days=2),
    )
    await make_leads(databases, org.id, 4, stage="qualified", score="B", created_at=now)
    get = lambda **params: client.get("/api/leads", headers=org.headers, params=params)  # noqa: E731

    everything = (await get(page_size=4)).json()
    assert everything["total"] == 9
    assert len(everything["items"]) == 4
    assert [i["current_stage"] for i in everything["items"]] == ["qualified"] * 4
    last = (await get(page_size=4, page=3)).json()["items"]
    assert [i["lead_id"] for i in last] == [str(old[2].lead_id)]  # oldest last
    by_stage = (await get(stage=["won", "new"])).json()
    assert by_stage["total"] == 5
    assert {i["current_stage"] for i in by_stage["items"]} == {"won", "new"}
    assert (await get(score="A")).json()["total"] == 2
    assert (await get(score=["A", "D"])).json()["total"] == 5
    owned = (await get(owner_id=str(analyst.user_id))).json()
    assert {i["lead_id"] for i in owned["items"]} == {str(r.lead_id) for r in won}
    assert owned["items"][0]["owner"] == {
        "id": str(analyst.user_id),
        "name": owned["items"][0]["owner"]["name"],
        "email": analyst.email,
    }
    assert owned["items"][0]["stage_value"] == "1500.00"
    assert (await get(source="facebook", medium="paid_social")).json()["total"] == 2
    assert (await get(channel="Paid Social")).json()["total"] == 2
    assert (await get(campaign="nope")).json()["total"] == 0
    window = (
        await get(
            created_from=(now - timedelta(days=41)).isoformat(),
            created_to=(now - timedelta(days=1)).isoformat(),
        )
    ).json()
    assert window["total"] == 5
    assert (await get(attribution_status="no_session")).json()["total"] == 9
    scored = (await get(sort="score", page_size=3)).json()["items"]
    assert [i["lead_score"] for i in scored] == ["A", "A", "B"]
    for bad in (
        {"stage": "lunch"},
        {"score": "E"},
        {"sort": "name"},
        {"page_size": 500},
        {"owner_id": "not-a-uuid"},
        {"q": "x"},
        {"source": "s" * 256},
    ):
        response = await get(**bad)
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "validation_error"


async def test_search_by_name_email_company_and_phone(client, databases, org):
    await make_leads(
        databases,
        org.id,
        name="Maria Souza",
        email="maria@acme.com.br",
        company="Acme Ltda",
        phone="+5511987654321",
    )
    await make_leads(
        databases,
        org.id,
        name="João Pereira",
        email="joao@outra.com",
        company="Outra SA",
        phone="+5521912345678",
    )
    search = lambda q: client.get("/api/leads", headers=org.headers, params={"q": q})  # noqa: E731
    names = lambda r: [i["name"] for i in r.json()["items"]]  # noqa: E731
    # Whole words (the fields are encrypted; the words are blind tokens), any case.
    assert names(await search("maria")) == ["Maria Souza"]
    assert names(await search("SOUZA")) == ["Maria Souza"]
    assert names(await search("mari")) == []
    assert names(await search("maria@acme")) == ["Maria Souza"]
    assert names(await search("maria@acme.com.br")) == ["Maria Souza"]
    assert names(await search("acme")) == ["Maria Souza"]
    assert names(await search("outra.com")) == ["João Pereira"]
    assert names(await search("joão pereira")) == ["João Pereira"]
    # A phone whole, or without its country code, or without its area code.
    assert names(await search("(11) 98765-4321")) == ["Maria Souza"]
    assert names(await search("+55 11 98765-4321")) == ["Maria Souza"]
    assert names(await search("912345678")) == ["João Pereira"]
    assert names(await search("98765")) == []
    assert names(await search("maria outra")) == []
    assert (await search("'; drop table leads; --")).status_code == 200
    assert (await search("!!")).status_code == 422


async def test_another_organization_sees_nothing(client, databases, org, other_org):
    [lead] = await make_leads(databases, org.id)
    h = other_org.headers
    assert (await client.get("/api/leads", headers=h)).json()["total"] == 0
    for path in (
        f"/api/leads/{lead.lead_id}",
        f"/api/leads/{lead.lead_id}/stages",
        f"/api/leads/{lead.lead_id}/journey",
        f"/api/contacts/{lead.contact_id}",
    ):
        response = await client.get(path, headers=h)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    moved = await client.post(
        f"/api/leads/{lead.lead_id}/stages", headers=h, json={"stage_name": "won"}
    )
    assert moved.status_code == 404
    assert (
        await client.patch(f"/api/leads/{lead.lead_id}", headers=h, json={"name": "x"})
    ).status_code == 404
    # an id named in a body is refused as unknown (issue 16: the same 422 as a random id)
    assert (
        await client.post("/api/deals", headers=h, json={"name": "D", "lead_id": str(lead.lead_id)})
    ).status_code == 422
    assert (
        await client.post(
            "/api/notes", headers=h, json={"body": "hi", "contact_id": str(lead.contact_id)}
        )
    ).status_code == 422
    board = (await client.get("/api/pipeline", headers=h)).json()
    assert sum(column["count"] for column in board["stages"]) == 0
    assert (await client.get(f"/api/leads/{lead.lead_id}", headers=org.headers)).status_code == 200


def _count_statements(databases):
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(databases.crm.engine.sync_engine, "before_cursor_execute", listener)
    return statements, lambda: event.remove(
        databases.crm.engine.sync_engine, "before_cursor_execute", listener
    )


async def test_a_page_of_leads_and_a_lead_take_a_constant_number_of_queries(client, databases, org):
    owners = [
        await make_account(databases, role="analyst", organization_id=org.id) for _ in range(3)
    ]
    for owner in owners:
        await make_leads(databases, org.id, 20, owner_id=owner.user_id)
    counts = {}
    for size in (5, 50):
        statements, stop = _count_statements(databases)
        try:
            response = await client.get(
                "/api/leads", headers=org.headers, params={"page_size": size, "stage": "new"}
            )
        finally:
            stop()
        assert len(response.json()["items"]) == size
        assert all(item["owner"] is not None for item in response.json()["items"])
        counts[size] = len(statements)
    assert counts[5] == counts[50] <= 8, counts

    [few, many] = await make_leads(databases, org.id, 2)
    for i in range(6):
        await client.post(
            f"/api/leads/{many.lead_id}/stages",
            headers=org.headers,
            json={"stage_name": ["qualified", "proposal"][i % 2]},
        )
        await client.post(
            "/api/tasks",
            headers=org.headers,
            json={"title": f"Call {i}", "lead_id": str(many.lead_id)},
        )
        await client.post(
            "/api/notes",
            headers=org.headers,
            json={"body": f"Note {i}", "lead_id": str(many.lead_id)},
        )
        await client.post(
            "/api/deals",
            headers=org.headers,
            json={"name": f"Deal {i}", "lead_id": str(many.lead_id)},
        )
    detail_counts = []
    for row in (few, many):
        statements, stop = _count_statements(databases)
        try:
            detail = (await client.get(f"/api/leads/{row.lead_id}", headers=org.headers)).json()
        finally:
            stop()
        detail_counts.append(len(statements))
    assert len(detail["stages"]) == 7
    assert len(detail["tasks"]) == 6
    assert len(detail["notes"]) == 6
    assert len(detail["deals"]) == 6
    assert detail_counts[0] == detail_counts[1] <= 12, detail_counts


async def test_stage_change_appends_history_and_moves_the_lead(client, databases, org):
    [lead] = await make_leads(databases, org.id)
    path = f"/api/leads/{lead.lead_id}/stages"
    response = await client.post(
        path,
        headers=org.headers,
        json={"stage_name": "proposal", "stage_value": "4999.90", "reason": "Sent the proposal"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["stage"]["stage_name"] == "proposal"
    assert body["stage"]["probability"] == 50
    assert body["stage"]["changed_by"] == org.admin.email
    assert body["stage"]["source"] == "ui"
    assert body["lead"]["current_stage"] == "proposal"
    assert body["lead"]["stage_value"] == "4999.90"
    again = await client.post(
        path, headers=org.headers, json={"stage_name": "negotiation", "probability": 70}
    )
    assert again.json()["lead"]["stage_value"] == "4999.90"  # the latest known value stays
    history = (await client.get(path, headers=org.headers)).json()
    assert [s["stage_name"] for s in history] == ["new", "proposal", "negotiation"]
    assert history[2]["probability"] == 70
    detail = (await client.get(f"/api/leads/{lead.lead_id}", headers=org.headers)).json()
    assert detail["lead"]["current_stage"] == "negotiation"
    assert [a["activity_type"] for a in detail["activities"]][:2] == ["stage_changed"] * 2
    assert detail["activities"][0]["data"]["to"] == "negotiation"

    for bad in (
        {"stage_name": "done"},
        {"stage_name": "won", "probability": 101},
        {"stage_name": "won", "stage_value": "-1"},
        {"stage_name": "won", "reason": "r" * 10_001},
        {"stage_name": "won", "extra": 1},
    ):
        response = await client.post(path, headers=org.headers, json=bad)
        assert response.status_code == 422, bad
    assert len((await client.get(path, headers=org.headers)).json()) == 3  # nothing half-written


async def test_viewers_read_but_cannot_write(client, databases, org):
    [lead] = await make_leads(databases, org.id)
    viewer = await make_account(databases, role="viewer", organization_id=org.id)
    h = await auth_headers(client, viewer)
    assert (await client.get(f"/api/leads/{lead.lead_id}", headers=h)).status_code == 200
    assert (await client.get("/api/pipeline", headers=h)).status_code == 200
    for method, path, body in (
        ("POST", f"/api/leads/{lead.lead_id}/stages", {"stage_name": "won"}),
        ("PATCH", f"/api/leads/{lead.lead_id}", {"name": "x"}),
        ("POST", "/api/contacts", {"name": "x"}),
        ("POST", "/api/deals", {"name": "x"}),
        ("POST", "/api/tasks", {"title": "x"}),
        ("POST", "/api/notes", {"body": "x", "lead_id": str(lead.lead_id)}),
    ):
        response = await client.request(method, path, headers=h, json=body)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "forbidden"
    history = (await client.get(f"/api/leads/{lead.lead_id}/stages", headers=h)).json()
    assert len(history) == 1
    assert (await client.get("/api/leads")).status_code == 401


async def test_patch_lead_checks_the_owner_and_records_the_change(
    client, databases, org, other_org
):
    [lead] = await make_leads(databases, org.id)
    path = f"/api/leads/{lead.lead_id}"
    stranger = await client.patch(
        path, headers=org.headers, json={"owner_id": str(other_org.admin.user_id)}
    )
    assert stranger.status_code == 422
    assert stranger.json()["error"]["details"]["field"] == "owner_id"
    assert (await client.patch(path, headers=org.headers, json={"name": "n" * 256})).json()[
        "error"
    ]["details"][0]["loc"] == "body.name"
    changed = await client.patch(
        path,
        headers=org.headers,
        json={"owner_id": str(org.admin.user_id), "lead_score": "A", "company": "Nova"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["owner"]["email"] == org.admin.email
    assert (changed.json()["lead_score"], changed.json()["company"]) == ("A", "Nova")
    feed = (
        await client.get(
            "/api/activities", headers=org.headers, params={"lead_id": str(lead.lead_id)}
        )
    ).json()
    assert feed["items"][0]["activity_type"] == "lead_updated"
    assert set(feed["items"][0]["data"]["changes"]) == {"owner_id", "lead_score", "company"}
    assert (
        await client.patch(path, headers=org.headers, json={"lead_score": None})
    ).status_code == 422


async def test_pipeline_board(client, databases, org):
    await make_leads(databases, org.id, 3, stage="proposal", stage_value=Decimal("1000"))
    await make_leads(databases, org.id, 2, stage="won", stage_value=Decimal("250.50"), score="A")
    await make_leads(databases, org.id, 4)
    board = (await client.get("/api/pipeline", headers=org.headers, params={"cards": 2})).json()
    columns = {c["stage"]: c for c in board["stages"]}
    assert [c["stage"] for c in board["stages"]] == [
        "new",
        "qualified",
        "proposal",
        "negotiation",
        "won",
        "lost",
    ]
    assert (columns["proposal"]["count"], columns["proposal"]["value"]) == (3, "3000.00")
    assert (columns["won"]["count"], columns["won"]["value"]) == (2, "501.00")
    assert (columns["new"]["count"], len(columns["new"]["cards"])) == (4, 2)
    assert columns["qualified"] == {"stage": "qualified", "count": 0, "value": "0", "cards": []}
    newest = columns["new"]["cards"]
    assert newest[0]["stage_changed_at"] >= newest[1]["stage_changed_at"]
    filtered = (
        await client.get("/api/pipeline", headers=org.headers, params={"score": "A"})
    ).json()
    assert [c["count"] for c in filtered["stages"]] == [0, 0, 0, 0, 2, 0]


async def test_journey_stitches_the_contacts_browsers(client, databases, org):
    site = await make_site(client, databases, org.admin)
    for visitor, session_id, utm in (
        ("v_" + "1" * 22, "s_" + "1" * 22, "google"),
        ("v_" + "2" * 22, "s_" + "2" * 22, "facebook"),
    ):
        events = [
            tracker_event(url=f"https://loja.example.com.br/lp?utm_source={utm}&utm_medium=cpc"),
            tracker_event("click", offset=1, element_id="buy"),
        ]
        response = await collect(
            client, batch(site, events, session_id=session_id, visitor_id=visitor)
        )
        assert response.status_code == 200, response.text
        assert response.json()["accepted"] == 2
    [lead] = await make_leads(
        databases,
        org.id,
        visitor_id="v_" + "1" * 22,
        contact_visitor_ids=["v_" + "2" * 22, "v_" + "9" * 22],
    )
    journey = (await client.get(f"/api/leads/{lead.lead_id}/journey", headers=org.headers)).json()
    assert journey["visitor_ids"] == ["v_" + "1" * 22, "v_" + "2" * 22, "v_" + "9" * 22]
    assert journey["attribution"] is None
    assert len(journey["sessions"]) == 2
    sources = [s["touches"][0]["utm_source"] for s in journey["sessions"]]
    assert sorted(sources) == ["facebook", "google"]
    for item in journey["sessions"]:
        assert len(item["page_views"]) == 1
        assert [e["event_type"] for e in item["events"]] == ["click"]
    assert (
        journey["sessions"][0]["session"]["started_at"]
        <= journey["sessions"][1]["session"]["started_at"]
    )
    [stranger] = await make_leads(databases, org.id, visitor_id="v_" + "7" * 22)
    empty = (await client.get(f"/api/leads/{stranger.lead_id}/journey", headers=org.headers)).json()
    assert empty["sessions"] == []


async def test_the_board_cards_say_where_the_lead_came_from_and_filter_like_the_list(
    client, databases, org
):
    analyst = await make_account(databases, role="analyst", organization_id=org.id)
    mine = await make_leads(
        databases,
        org.id,
        2,
        stage="proposal",
        score="A",
        owner_id=analyst.user_id,
        source="facebook",
        medium="paid_social",
        campaign="black-friday",
        channel="Paid Social",
        stage_value=Decimal("100.00"),
    )
    await make_leads(databases, org.id, 3, stage="proposal", score="C", campaign="spring")
    board = (await client.get("/api/pipeline", headers=org.headers)).json()
    assert board["currency"] == "BRL"
    proposal = next(c for c in board["stages"] if c["stage"] == "proposal")
    assert proposal["count"] == 5
    card = next(c for c in proposal["cards"] if c["lead_id"] == str(mine[0].lead_id))
    assert (card["source"], card["medium"], card["campaign"], card["channel"]) == (
        "facebook",
        "paid_social",
        "black-friday",
        "Paid Social",
    )
    for params in (
        {"owner_id": str(analyst.user_id)},
        {"campaign": "black-friday"},
        {"score": "A"},
    ):
        filtered = (await client.get("/api/pipeline", headers=org.headers, params=params)).json()
        column = next(c for c in filtered["stages"] if c["stage"] == "proposal")
        assert column["count"] == 2, params
        assert Decimal(column["value"]) == Decimal("200.00"), params
        assert {c["lead_id"] for c in column["cards"]} == {str(lead.lead_id) for lead in mine}


async def test_the_lists_totals_and_csv_export_follow_its_filters(client, databases, org):
    analyst = await make_account(databases, role="analyst", organization_id=org.id)
    await make_leads(
        databases,
        org.id,
        2,
        stage="won",
        owner_id=analyst.user_id,
        campaign="black-friday",
        stage_value=Decimal("1500.50"),
    )
    await make_leads(databases, org.id, 1, stage="new", campaign="black-friday")
    await make_leads(
        databases, org.id, 1, stage="new", campaign="spring", name="=HYPERLINK(1)", company="a,b"
    )
    totals = (await client.get("/api/leads/summary", headers=org.headers)).json()
    assert totals == {"count": 4, "value": "3001.00", "with_value": 2, "currency": "BRL"}
    mine = (
        await client.get(
            "/api/leads/summary",
            headers=org.headers,
            params={"owner_id": str(analyst.user_id), "campaign": "black-friday"},
        )
    ).json()
    assert (mine["count"], mine["value"]) == (2, "3001.00")

    exported = await client.get(
        "/api/leads/export", headers=org.headers, params={"campaign": "black-friday"}
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    text = exported.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text[1:].split("\r\n")
    assert lines[0].startswith("lead_id,name,email,phone,company,score,stage,value,owner")
    rows = [line for line in lines[1:] if line]
    assert len(rows) == 3
    assert sum("1500.50" in row for row in rows) == 2
    assert all("spring" not in row for row in rows)

    everything = (await client.get("/api/leads/export", headers=org.headers)).content.decode()
    # A name that a spreadsheet would run as a formula is defused; commas are quoted.
    assert "'=HYPERLINK(1)" in everything
    assert '"a,b"' in everything
    # Another organization exports none of these.
    other = await make_account(databases, role="admin")
    theirs = (
        await client.get("/api/leads/export", headers=await auth_headers(client, other))
    ).content
    assert len(theirs.decode().strip().split("\r\n")) == 1
    refused = await client.get("/api/leads/summary", headers=org.headers, params={"score": "Z"})
    assert refused.status_code == 422
