"""Lead capture under hostile input, as JSON and as an HTML form: a 4xx naming the field,
never a 5xx, and a lead is stored exactly when the answer says so."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from rastro.core.db import Scope
from rastro.crm.models import Lead
from tests.tracking.factories import ORIGIN, Site, make_site

FIELDS = [
    "name",
    "email",
    "phone",
    "company",
    "message",
    "extensions",
    "form_location",
    "page_url",
    "page_id",
    "rastro_session_id",
    "session_id",
    "rastro_visitor_id",
    "external_id",
    "qualification",
    "utm_source",
    "utm_campaign",
    "gclid",
    "fbc",
    "favourite_colour",
    "_next",
]
NASTY = [
    "a\x00b",
    "http://[::1/x",
    "https://[zz]/",
    "1e999999999",
    str(uuid.uuid4()),
    "",
    " ",
    "ana@acme.com.br",
    "+55 11 98765-4321",
]


@pytest_asyncio.fixture(loop_scope="session")
async def site(client, databases) -> Site:  # type: ignore[no-untyped-def]
    """One site for all the examples of a test."""
    return await make_site(client, databases)


async def _lead_exists(databases: Any, site: Site, lead_id: str) -> bool:
    scope = Scope.organization(site.account.organization_id)
    async with databases.crm.session(scope) as crm:
        return await crm.scalar(select(Lead.lead_id).where(Lead.lead_id == lead_id)) is not None


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["error"]["code"], response.text


async def test_malformed_page_urls_and_unknown_page_ids_are_422(client, site):
    base = {"site": site.key, "email": "ana@acme.com.br"}
    for extra, loc in [
        ({"page_url": "http://[::1/x"}, "body.page_url"),
        ({"page_url": "https://[zz]/"}, "body.page_url"),
    ]:
        response = await client.post("/api/leads", json=base | extra, headers={"origin": ORIGIN})
        assert response.status_code == 422, response.text
        assert [d["loc"] for d in response.json()["error"]["details"]] == [loc]
    unknown = await client.post(
        "/api/leads", json=base | {"page_id": str(uuid.uuid4())}, headers={"origin": ORIGIN}
    )
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["error"]["code"] == "unknown_reference"
    assert unknown.json()["error"]["details"]["field"] == "page_id"
    served = await client.post(
        "/api/leads",
        json={"email": "ana@acme.com.br", "page_id": str(uuid.uuid4())},
        headers=site.headers,
    )
    assert served.status_code == 422, served.text


text_or_nasty = st.text(max_size=20) | st.sampled_from(NASTY)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text_or_nasty,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(text_or_nasty, inner, max_size=2),
    max_leaves=5,
)
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(fields=st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values))
async def test_hostile_json_leads_are_never_a_5xx(client, databases, site, fields):
    body = {"site": site.key, "email": "ana@acme.com.br"} | fields
    response = await client.post("/api/leads", json=body, headers={"origin": ORIGIN})
    _check(response)
    if response.status_code in (200, 201):
        assert await _lead_exists(databases, site, response.json()["lead_id"])


@SETTINGS
@given(fields=st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), text_or_nasty))
async def test_hostile_form_leads_are_never_a_5xx(client, databases, site, fields):
    body = {"site": site.key, "email": "ana@acme.com.br"} | fields
    response = await client.post(
        "/api/leads",
        content=urlencode(body).encode(),
        headers={"origin": ORIGIN, "content-type": "application/x-www-form-urlencoded"},
    )
    _check(response)
    if response.status_code in (200, 201):
        assert await _lead_exists(databases, site, response.json()["lead_id"])
    valid = await client.post(
        "/api/leads",
        json={"site": site.key, "email": f"{uuid.uuid4().hex[:10]}@acme.com.br"},
        headers={"origin": ORIGIN},
    )
    assert valid.status_code == 201, valid.text
