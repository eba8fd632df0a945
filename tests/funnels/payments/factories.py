"""Factories for the payments tests: an organization whose admin is signed in, its
gateway credentials on the fakes, and payments created through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from rastro.core.db import Databases, Scope
from tests.auth.factories import Account, auth_headers, make_account

MP_TOKEN = "APP_USR-fake-mercadopago-access-token-0001"
MP_SECRET = "mp-webhook-secret-signature-0001"
ASAAS_KEY = "$aact_fake_asaas_api_key_000000000001"
ASAAS_WEBHOOK_TOKEN = "asaas-webhook-auth-token-0000000000000001"
PAGARME_KEY = "sk_test_fakepagarmesecretkey0001"
PIX_CLIENT_ID = "Client_Id_fake_psp_0001"
PIX_CLIENT_SECRET = "Client_Secret_fake_psp_0001"
PIX_KEY = "7d9f0335-8dcc-4054-9bf9-0dbd61d36906"
STATIC_KEY = "123e4567-e12b-12d1-a456-426655440000"
BUYER = {
    "name": "Maria Souza",
    "email": "maria.souza@example.com",
    "phone": "+5511987654321",
    "document": "529.982.247-25",
}


@dataclass
class Org:
    account: Account
    headers: dict[str, str]

    @property
    def id(self) -> uuid.UUID:
        return self.account.organization_id


async def make_org(client: httpx.AsyncClient, databases: Databases) -> Org:
    account = await make_account(databases)
    return Org(account, await auth_headers(client, account))


async def add_credential(
    client: httpx.AsyncClient,
    org: Org,
    service: str,
    *,
    api_key: str,
    api_secret: str | None = None,
    api_url: str | None = None,
    settings: dict[str, Any] | None = None,
) -> str:
    body: dict[str, Any] = {"name": service, "service": service, "api_key": api_key}
    if api_secret is not None:
        body["api_secret"] = api_secret
    if api_url is not None:
        body["api_url"] = api_url
    if settings:
        body["settings"] = settings
    response = await client.post("/api/credentials", headers=org.headers, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def add_static_pix(
    client: httpx.AsyncClient, org: Org, *, name: str = "LOJA EXEMPLO", city: str = "SAO PAULO"
) -> str:
    return await add_credential(
        client,
        org,
        "pix_static",
        api_key=STATIC_KEY,
        settings={"merchant_name": name, "merchant_city": city},
    )


async def create_payment(
    client: httpx.AsyncClient,
    org: Org,
    *,
    expect: int = 201,
    headers: dict[str, str] | None = None,
    **body: Any,
) -> dict[str, Any]:
    payload = {"amount": "97.00", "product_name": "Curso de Python", "customer": BUYER, **body}
    response = await client.post(
        "/api/payments/create", headers={**org.headers, **(headers or {})}, json=payload
    )
    assert response.status_code == expect, response.text
    out: dict[str, Any] = response.json()
    return out


async def status_of(client: httpx.AsyncClient, org: Org, payment_id: str) -> str:
    response = await client.get(f"/api/payments/{payment_id}/status", headers=org.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


async def rows(databases: Databases, org: Org, model: Any, *where: Any) -> list[Any]:
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        return list(await session.scalars(select(model).where(*where)))
