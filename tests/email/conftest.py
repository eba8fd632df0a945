"""E-mail fixtures: a signed-in organization (and a second one), and factories that go
through the API as a user would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio

from tests.auth.factories import Account, auth_headers, make_account


@dataclass
class Org:
    admin: Account
    headers: dict[str, str]

    @property
    def id(self):  # type: ignore[no-untyped-def]
        return self.admin.organization_id


@pytest_asyncio.fixture(loop_scope="session")
async def org(client, databases) -> Org:  # type: ignore[no-untyped-def]
    admin = await make_account(databases)
    return Org(admin, await auth_headers(client, admin))


@pytest_asyncio.fixture(loop_scope="session")
async def other_org(client, databases) -> Org:  # type: ignore[no-untyped-def]
    admin = await make_account(databases)
    return Org(admin, await auth_headers(client, admin))


async def post(client: httpx.AsyncClient, org: Org, path: str, body: Any = None) -> Any:
    response = await client.post(f"/api/email{path}", json=body, headers=org.headers)
    assert response.status_code < 300, response.text
    return response.json()


async def get(client: httpx.AsyncClient, org: Org, path: str) -> Any:
    response = await client.get(f"/api/email{path}", headers=org.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def contacts(
    client: httpx.AsyncClient, org: Org, emails: list[str], **row: Any
) -> dict[str, str]:
    """Import recipients; their contact ids by address."""
    if emails:
        rows = [{"email": e, **row} for e in emails]
        await post(client, org, "/contacts/import", {"contacts": rows})
    page = await get(client, org, "/contacts?page_size=200")
    return {item["email"]: item["contact_id"] for item in page["items"]}


async def static_audience(
    client: httpx.AsyncClient, org: Org, contact_ids: list[str], name: str = "Clientes"
) -> str:
    audience = await post(client, org, "/audiences", {"name": name})
    if contact_ids:
        await post(
            client,
            org,
            f"/audiences/{audience['audience_id']}/contacts",
            {"contact_ids": contact_ids},
        )
    return str(audience["audience_id"])


HTML = (
    "<html><body><p>Olá {{ name }}!</p>"
    '<a href="https://loja.com.br/oferta?cupom=X">Comprar</a> '
    '<a href="https://loja.com.br/blog">Blog</a>'
    "</body></html>"
)


async def campaign(
    client: httpx.AsyncClient, org: Org, audience_ids: list[str], **fields: Any
) -> dict[str, Any]:
    body = {
        "name": "Black Friday",
        "subject": "Oferta para {{ first_name }}",
        "from_name": "Loja",
        "from_address": "news@loja.com.br",
        "html": HTML,
        "text": "Olá {{ name }}, veja {{ unsubscribe_url }}",
        "audience_ids": audience_ids,
        **fields,
    }
    result: dict[str, Any] = await post(client, org, "/campaigns", body)
    return result
