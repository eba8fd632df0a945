"""E-mail fixtures: a signed-in organization (and a second one), and factories that go
through the API as a user would."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
import structlog
from sqlalchemy import select

from rastro.app import close_app, create_app
from rastro.config import Settings
from rastro.core.db import Databases, Scope
from rastro.core.logging import configure_logging
from rastro.email.event_models import MessageEvent
from rastro.email.models import Message
from rastro.email.system.transport import simulated_outbox
from tests.auth.factories import Account, auth_headers, make_account
from tests.helpers import drain_jobs


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


async def sent_campaign(client, org, settings, databases, emails):  # type: ignore[no-untyped-def]
    """A campaign sent by a simulated sender to `emails`: the sender and messages by address."""
    sender = await post(client, org, "/senders", {"name": "Simulado", "kind": "simulated"})
    ids = await contacts(client, org, emails)
    audience = await static_audience(client, org, list(ids.values()))
    created = await campaign(client, org, [audience], sender_id=sender["sender_id"])
    await post(client, org, f"/campaigns/{created['campaign_id']}/send")
    await drain_jobs(settings, databases, queues=["email"])
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        messages = {
            m.contact_id: m
            for m in await session.scalars(
                select(Message).where(Message.campaign_id == uuid.UUID(created["campaign_id"]))
            )
        }
    by_email = {email: messages[uuid.UUID(cid)] for email, cid in ids.items()}
    return sender, by_email


async def clicks_stored(app) -> None:  # type: ignore[no-untyped-def]
    """Wait until the clicks answered so far have their BI events (the redirect answers
    once a click is queued in the CRM; its event follows)."""
    writer = getattr(app.state, "email_click_writer", None)
    if writer is not None:
        await writer.settled()


async def message_events(databases, org):  # type: ignore[no-untyped-def]
    async with databases.bi.transaction(Scope.organization(org.id)) as session:
        return list(await session.scalars(select(MessageEvent)))


async def contact_statuses(client, org):  # type: ignore[no-untyped-def]
    page = await get(client, org, "/contacts?page_size=100")
    return {item["email"]: item["status"] for item in page["items"]}


# --- Rastro's own e-mails (test_system_invitations.py, test_system_resets.py) ---------------


@pytest.fixture
def mail_settings(settings: Settings) -> Settings:
    simulated_outbox().sent.clear()
    return settings.model_copy(update={"mail_sender": "simulated"})


@pytest_asyncio.fixture(loop_scope="session")
async def mail_client(
    mail_settings: Settings, databases: Databases
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(mail_settings, databases=databases, check_migrations=False)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await close_app(app)


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """The real logging configuration at INFO (as in production), its one handler writing
    into a buffer: structlog's lines and the libraries' (procrastinate, httpx)."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_structlog = structlog.get_config()
    configure_logging("INFO", "json")
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:], root.level = saved_handlers, saved_level
        structlog.configure(**saved_structlog)
