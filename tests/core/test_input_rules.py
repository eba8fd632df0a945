"""The rules every API input follows (rastro.core.inputs), seen through real endpoints of
several modules: text PostgreSQL cannot store, numbers JSON columns cannot hold, `null`
for a field that may only be left out, unique names on update, a stage move in place."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.auth.factories import auth_headers, make_account
from tests.tracking.factories import ORIGIN, make_site

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _headers(client: httpx.AsyncClient, databases: Any) -> dict[str, str]:
    return await auth_headers(client, await make_account(databases))


def _refused(response: httpx.Response, loc: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert loc in [d["loc"] for d in error["details"]], error


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/api/contacts", {"name": "Ana\u0000"}, "body.name"),
        ("/api/contacts", {"name": "Ana", "metadata": {"k": "a\u0000b"}}, "body.metadata.k"),
        ("/api/contacts", {"name": "Ana", "metadata": {"a\u0000": 1}}, "body.metadata"),
        ("/api/contacts", {"name": "Ana", "metadata": {"n": [1, 2**70]}}, "body.metadata.n.1"),
        ("/api/contacts", {"name": "Ana", "metadata": {"n": -(2**64)}}, "body.metadata.n"),
        ("/api/deals", {"name": "Deal\u0000"}, "body.name"),
        ("/api/tasks", {"title": "Call\u0000"}, "body.title"),
        ("/api/members", {"email": "a@b.co", "name": "x\u0000", "role": "analyst"}, "body.name"),
        (
            "/api/credentials",
            {"name": "c", "service": "webhook", "api_key": "k\u0000" * 8},
            "body.api_key",
        ),
        (
            "/api/credentials",
            {"name": "c", "service": "webhook", "api_key": "k" * 16, "settings": {"n": 2**64}},
            "body.settings.n",
        ),
    ],
)
async def test_text_and_numbers_postgresql_cannot_store_are_422_naming_the_field(
    client, databases, path, body, loc
):
    _refused(await client.post(path, headers=await _headers(client, databases), json=body), loc)


async def test_a_body_without_content_type_is_checked_too(client, databases):
    headers = await _headers(client, databases)
    response = await client.post(
        "/api/contacts", headers=headers, content=b'{"name": "Ana\\u0000"}'
    )
    _refused(response, "body.name")


async def test_a_nul_in_a_patch_body_is_422(client, databases):
    headers = await _headers(client, databases)
    contact = await client.post("/api/contacts", headers=headers, json={"name": "Ana"})
    assert contact.status_code == 201, contact.text
    path = f"/api/contacts/{contact.json()['contact_id']}"
    _refused(await client.patch(path, headers=headers, json={"company": "A\u0000"}), "body.company")
    note = {"body": "hi\u0000", "contact_id": contact.json()["contact_id"]}
    _refused(await client.post("/api/notes", headers=headers, json=note), "body.body")


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        ("/api/leads?campaign=a%00b", "query.campaign"),
        ("/api/credentials?service=a%00", "query.service"),
        ("/api/sessions/s_a%00b", "path.session_id"),
        ("/api/journeys/v%00", "path.visitor_id"),
    ],
)
async def test_a_nul_in_the_query_or_path_is_422(client, databases, path, loc):
    _refused(await client.get(path, headers=await _headers(client, databases)), loc)


async def test_nuls_in_lead_capture_are_422_naming_the_field(client, databases):
    site = await make_site(client, databases)
    base = {"site": site.key, "email": "ana@acme.com.br", "name": "Ana"}
    json_cases = [
        ({"name": "Ana\u0000"}, "body.name"),
        ({"utm_campaign": "x\u0000"}, "body.utm_campaign"),
        ({"favourite_colour": "blue\u0000"}, "body.favourite_colour"),
        ({"qualification": {"budget": "10k\u0000"}}, "body.qualification.budget"),
    ]
    for extra, loc in json_cases:
        response = await client.post(
            "/api/leads", json={**base, **extra}, headers={"origin": ORIGIN}
        )
        _refused(response, loc)
    form = await client.post(
        "/api/leads",
        content=f"site={site.key}&email=ana%40acme.com.br&company=Ac%00me".encode(),
        headers={"origin": ORIGIN, "content-type": "application/x-www-form-urlencoded"},
    )
    _refused(form, "body.company")
    by_query = await client.post(
        f"/api/leads?site={site.key}%00",
        json={"email": "ana@acme.com.br"},
        headers={"origin": ORIGIN},
    )
    _refused(by_query, "query.site")


async def test_a_site_key_with_a_nul_is_an_unknown_site(client, databases):
    site = await make_site(client, databases)
    body = {"site": site.key + "\u0000", "events": [{"type": "page_view"}]}
    response = await client.post("/api/collect", json=body, headers={"origin": ORIGIN})
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unknown_site"


async def test_null_for_a_field_that_cannot_be_empty_is_422_naming_it(client, databases):
    site = await make_site(client, databases)
    headers = site.headers
    domain = f"/api/domains/{site.domain['domain_id']}"
    for body, loc in [
        ({"is_active": None}, "body.is_active"),
        ({"metadata": None}, "body.metadata"),
        ({"domain_name": None}, "body.domain_name"),
    ]:
        _refused(await client.patch(domain, headers=headers, json=body), loc)
    page = await client.post(
        "/api/landing-pages",
        headers=headers,
        json={"domain_id": site.domain["domain_id"], "page_url": f"{ORIGIN}/lp", "page_name": "LP"},
    )
    assert page.status_code == 201, page.text
    page_path = f"/api/landing-pages/{page.json()['page_id']}"
    for field in ("is_control", "page_url", "page_name", "is_active", "variant_weight"):
        _refused(
            await client.patch(page_path, headers=headers, json={field: None}), f"body.{field}"
        )
    contact = await client.post("/api/contacts", headers=headers, json={"name": "Ana"})
    contact_path = f"/api/contacts/{contact.json()['contact_id']}"
    _refused(
        await client.patch(contact_path, headers=headers, json={"metadata": None}), "body.metadata"
    )
    # null still clears a field that may be empty
    cleared = await client.patch(contact_path, headers=headers, json={"company": None})
    assert cleared.status_code == 200, cleared.text
    deal = await client.post("/api/deals", headers=headers, json={"name": "D"})
    deal_path = f"/api/deals/{deal.json()['deal_id']}"
    for field in ("name", "currency", "stage"):
        _refused(
            await client.patch(deal_path, headers=headers, json={field: None}), f"body.{field}"
        )
    task = await client.post("/api/tasks", headers=headers, json={"title": "T"})
    task_path = f"/api/tasks/{task.json()['task_id']}"
    for field in ("title", "done"):
        _refused(
            await client.patch(task_path, headers=headers, json={field: None}), f"body.{field}"
        )
    _refused(
        await client.patch("/api/organization", headers=headers, json={"name": None}), "body.name"
    )


async def test_renaming_a_domain_to_another_domains_name_is_409_naming_the_field(client, databases):
    site = await make_site(client, databases)
    other = await client.post(
        "/api/domains", headers=site.headers, json={"domain_url": "https://outra.example.com"}
    )
    assert other.status_code == 201, other.text
    for attempt in (
        client.patch(
            f"/api/domains/{other.json()['domain_id']}",
            headers=site.headers,
            json={"domain_name": site.domain["domain_name"]},
        ),
        client.post("/api/domains", headers=site.headers, json={"domain_url": ORIGIN}),
    ):
        response = await attempt
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "conflict"
        assert error["details"] == [
            {"loc": "body.domain_name", "message": "already registered", "type": "unique"}
        ]
    same = await client.patch(
        f"/api/domains/{site.domain['domain_id']}",
        headers=site.headers,
        json={"domain_name": site.domain["domain_name"]},
    )
    assert same.status_code == 200, same.text


async def test_moving_a_lead_to_the_stage_it_is_in_records_the_change(client, databases):
    """Decision: a move to the current stage is accepted (201) like any other, so a
    value, probability or reason can be updated in place; it is never a 500."""
    from tests.crm.factories import make_leads

    account = await make_account(databases)
    headers = await auth_headers(client, account)
    (lead,) = await make_leads(databases, account.organization_id, stage="qualified")
    path = f"/api/leads/{lead.lead_id}/stages"
    for body in (
        {"stage_name": "qualified"},
        {"stage_name": "won", "stage_value": "10.00"},
        {"stage_name": "won", "stage_value": "12.00"},
    ):
        response = await client.post(path, headers=headers, json=body)
        assert response.status_code == 201, response.text
        assert response.json()["lead"]["current_stage"] == body["stage_name"]
    assert response.json()["lead"]["stage_value"] == "12.00"
