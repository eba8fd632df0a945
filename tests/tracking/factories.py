"""Factories for the tracking module: a registered site and tracker batches."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from rastro.core.db import Databases
from tests.auth.factories import Account, auth_headers, make_account

ORIGIN = "https://loja.example.com.br"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@dataclass
class Site:
    account: Account
    headers: dict[str, str]
    domain: dict[str, Any]

    @property
    def key(self) -> str:
        return str(self.domain["site_key"])


async def make_site(
    client: httpx.AsyncClient, databases: Databases, account: Account | None = None
) -> Site:
    account = account or await make_account(databases)
    headers = await auth_headers(client, account)
    response = await client.post(
        "/api/domains",
        headers=headers,
        json={"domain_url": ORIGIN, "metadata": {"settings": {"timezone": "America/Sao_Paulo"}}},
    )
    assert response.status_code == 201, response.text
    return Site(account, headers, response.json())


def now_ms(offset_seconds: float = 0) -> int:
    return int((time.time() + offset_seconds) * 1000)


def event(type_: str = "page_view", *, offset: float = 0, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"event_id": str(uuid.uuid4()), "type": type_, "ts": now_ms(offset)}
    if type_ == "page_view":
        body.setdefault("url", f"{ORIGIN}/lp")
    body.update(fields)
    return body


def batch(
    site: Site,
    events: list[dict[str, Any]],
    *,
    session_id: str = "s_" + "a" * 22,
    visitor_id: str | None = "v_" + "b" * 22,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "site": site.key,
        "session_id": session_id,
        "sent_at": now_ms(),
        "context": {"screen": "1920x1080", "language": "pt-BR"},
        "events": events,
    }
    if visitor_id:
        body["visitor_id"] = visitor_id
    return body


async def collect(
    client: httpx.AsyncClient,
    body: Any,
    *,
    origin: str | None = ORIGIN,
    user_agent: str = CHROME,
    raw: bytes | None = None,
) -> httpx.Response:
    headers = {"content-type": "text/plain;charset=UTF-8", "user-agent": user_agent}
    if origin:
        headers["origin"] = origin
    import orjson

    return await client.post(
        "/api/collect", content=raw if raw is not None else orjson.dumps(body), headers=headers
    )
