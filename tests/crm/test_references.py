"""Ids named in request bodies stay inside the caller's organization (issue 16, item 8):
another organization's id and an unknown one get the same 422, and nothing is stored."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from rastro.core.db import Scope
from rastro.crm.models import Deal, Lead, Note, Task
from tests.crm.factories import make_leads
from tests.tracking.factories import ORIGIN, make_site


def _refused(response: Any, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == "unknown_reference"
    assert error["details"]["field"] == field
    return error


async def _same_answer(client, headers, path, body, field, foreign):  # type: ignore[no-untyped-def]
    """POST `body` with `field` set to the foreign id, then to a random one: the same 422."""
    unknown = uuid.uuid4()
    first = _refused(await client.post(path, headers=headers, json={**body, field: foreign}), field)
    second = _refused(
        await client.post(path, headers=headers, json={**body, field: str(unknown)}), field
    )
    assert first["message"] == second["message"]
    assert (first["details"]["id"], second["details"]["id"]) == (str(foreign), str(unknown))


async def _count(databases, organization_id, model) -> int:  # type: ignore[no-untyped-def]
    async with databases.crm.transaction(Scope.organization(organization_id)) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_lead_capture_refuses_another_organizations_landing_page(client, databases):
    theirs = await make_site(client, databases)
    page = await client.post(
        "/api/landing-pages",
        headers=theirs.headers,
        json={"domain_id": theirs.domain["domain_id"], "page_url": f"{ORIGIN}/a", "page_name": "A"},
    )
    assert page.status_code == 201, page.text
    page_id = page.json()["page_id"]
    ours = await make_site(client, databases)
    key = await client.post(
        "/api/api-keys", headers=ours.headers, json={"name": "backend", "scopes": ["crm:write"]}
    )
    api = {"authorization": f"Bearer {key.json()['key']}"}
    form = {"email": "ana@loja.com.br", "name": "Ana"}
    await _same_answer(client, api, "/api/leads", form, "page_id", page_id)
    # the public form path (site key) too
    site_form = {**form, "site": ours.domain["site_key"]}
    await _same_answer(client, {"origin": ORIGIN}, "/api/leads", site_form, "page_id", page_id)
    assert await _count(databases, ours.account.organization_id, Lead) == 0
    # its own page is fine
    own = await client.post(
        "/api/landing-pages",
        headers=ours.headers,
        json={"domain_id": ours.domain["domain_id"], "page_url": f"{ORIGIN}/b", "page_name": "B"},
    )
    stored = await client.post(
        "/api/leads", headers=api, json={**form, "page_id": own.json()["page_id"]}
    )
    assert stored.status_code == 201, stored.text


async def test_deals_tasks_and_notes_refuse_foreign_and_unknown_records(
    client, databases, org, other_org
):
    [lead] = await make_leads(databases, other_org.id)
    deal = await client.post(
        "/api/deals", headers=other_org.headers, json={"name": "D", "lead_id": str(lead.lead_id)}
    )
    assert deal.status_code == 201, deal.text
    theirs = {
        "lead_id": str(lead.lead_id),
        "contact_id": str(lead.contact_id),
        "deal_id": deal.json()["deal_id"],
    }
    h = org.headers
    for field in ("lead_id", "contact_id"):
        await _same_answer(client, h, "/api/deals", {"name": "D"}, field, theirs[field])
    for field in ("lead_id", "contact_id", "deal_id"):
        await _same_answer(client, h, "/api/tasks", {"title": "T"}, field, theirs[field])
        await _same_answer(client, h, "/api/notes", {"body": "n"}, field, theirs[field])
    await _same_answer(
        client, h, "/api/tasks", {"title": "T"}, "assignee_id", str(other_org.admin.user_id)
    )
    for path, body in (("/api/contacts", {"name": "C"}), ("/api/deals", {"name": "D"})):
        await _same_answer(client, h, path, body, "owner_id", str(other_org.admin.user_id))
    # a deal of our own lead naming their contact
    [ours] = await make_leads(databases, org.id)
    mixed = await client.post(
        "/api/deals",
        headers=h,
        json={"name": "D", "lead_id": str(ours.lead_id), "contact_id": theirs["contact_id"]},
    )
    _refused(mixed, "contact_id")
    for model in (Deal, Task, Note):
        assert await _count(databases, org.id, model) == 0


async def test_landing_pages_and_ab_tests_refuse_foreign_and_unknown_ids(client, databases):
    theirs = await make_site(client, databases)
    their_page = await client.post(
        "/api/landing-pages",
        headers=theirs.headers,
        json={"domain_id": theirs.domain["domain_id"], "page_url": f"{ORIGIN}/a", "page_name": "A"},
    )
    their_pages = [their_page.json()["page_id"]]
    second = await client.post(
        "/api/landing-pages",
        headers=theirs.headers,
        json={"domain_id": theirs.domain["domain_id"], "page_url": f"{ORIGIN}/b", "page_name": "B"},
    )
    their_pages.append(second.json()["page_id"])
    test = await client.post(
        "/api/ab-tests",
        headers=theirs.headers,
        json={
            "domain_id": theirs.domain["domain_id"],
            "name": "T",
            "variants": [
                {"page_id": their_pages[0], "page_variant": "a", "is_control": True},
                {"page_id": their_pages[1], "page_variant": "b"},
            ],
        },
    )
    assert test.status_code == 201, test.text

    ours = await make_site(client, databases)
    h = ours.headers
    page = {"page_url": f"{ORIGIN}/x", "page_name": "X"}
    await _same_answer(
        client, h, "/api/landing-pages", page, "domain_id", theirs.domain["domain_id"]
    )
    await _same_answer(
        client,
        h,
        "/api/landing-pages",
        {**page, "domain_id": ours.domain["domain_id"]},
        "ab_test_id",
        test.json()["ab_test_id"],
    )
    own = await client.post(
        "/api/landing-pages", headers=h, json={**page, "domain_id": ours.domain["domain_id"]}
    )
    assert own.status_code == 201, own.text
    patched = await client.patch(
        f"/api/landing-pages/{own.json()['page_id']}",
        headers=h,
        json={"ab_test_id": test.json()["ab_test_id"]},
    )
    _refused(patched, "ab_test_id")
    own_id = own.json()["page_id"]
    variants = [
        {"page_id": own_id, "page_variant": "a", "is_control": True},
        {"page_id": own_id, "page_variant": "b"},
    ]
    await _same_answer(
        client,
        h,
        "/api/ab-tests",
        {"name": "T", "variants": variants},
        "domain_id",
        theirs.domain["domain_id"],
    )
    for foreign, unknown in ((their_pages[0], str(uuid.uuid4())),):
        answers = []
        for page_id in (foreign, unknown):
            answers.append(
                _refused(
                    await client.post(
                        "/api/ab-tests",
                        headers=h,
                        json={
                            "domain_id": ours.domain["domain_id"],
                            "name": "T",
                            "variants": [
                                {
                                    "page_id": own.json()["page_id"],
                                    "page_variant": "a",
                                    "is_control": True,
                                },
                                {"page_id": page_id, "page_variant": "b"},
                            ],
                        },
                    ),
                    "page_id",
                )
            )
        assert answers[0]["message"] == answers[1]["message"]
    assert (await client.get("/api/ab-tests", headers=h)).json()["total"] == 0
