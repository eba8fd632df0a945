"""Sequences under test: created through the API, run with a fixed clock through the
runner's own functions (the periodic job's steps), mails caught by the simulated sender."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from rastro.core.db import Databases, Scope
from rastro.core.units import TransactionBoundary
from rastro.email.models import Message
from rastro.email.senders.simulated import SimulatedSender
from rastro.email.sequence_models import Enrollment
from rastro.email.service import sending
from rastro.email.service.sequences import runner
from tests.email.conftest import Org, post

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a fixed clock, in the past (human opens)
BASE_URL = "http://127.0.0.1:8000"

STEP_HTML = (
    "<html><body><p>Olá {{ name }}!</p>"
    '<a href="https://loja.com.br/oferta">Ver oferta</a></body></html>'
)


async def sequence(
    client: httpx.AsyncClient, org: Org, *, trigger: str = "lead_created", **fields: Any
) -> dict[str, Any]:
    body = {
        "name": fields.pop("name", "Boas-vindas"),
        "trigger": trigger,
        "from_name": "Loja",
        "from_address": "contato@loja.com.br",
        **fields,
    }
    created: dict[str, Any] = await post(client, org, "/sequences", body)
    return created


async def step(
    client: httpx.AsyncClient, org: Org, sequence_id: str, *, subject: str, **fields: Any
) -> dict[str, Any]:
    body = {"subject": subject, "html": fields.pop("html", STEP_HTML), **fields}
    created: dict[str, Any] = await post(client, org, f"/sequences/{sequence_id}/steps", body)
    return created


async def activate(client: httpx.AsyncClient, org: Org, sequence_id: str) -> None:
    await post(client, org, f"/sequences/{sequence_id}/activate")


async def run(
    databases: Databases,
    org: Org,
    now: datetime,
    sender: SimulatedSender,
    *,
    secret: str,
    batch_size: int = runner.ADVANCE_BATCH,
) -> runner.Advanced:
    """One pass of the job for one organization: advance every due enrollment, then send."""
    scope = Scope.organization(org.id)
    links = sending.Links(base_url=BASE_URL, secret=secret)
    total = runner.Advanced()
    while True:
        async with databases.crm.transaction(scope) as crm:
            done = await runner.advance_due(crm, now=now, batch_size=batch_size)
        total.enrollments += done.enrollments
        total.queued += done.queued
        total.skipped += done.skipped
        total.completed += done.completed
        total.exits.update(done.exits)
        if done.enrollments < batch_size:
            break
    await send(databases, org, now, sender, secret=secret, links=links)
    return total


async def send(
    databases: Databases,
    org: Org,
    now: datetime,
    sender: SimulatedSender,
    *,
    secret: str,
    links: sending.Links | None = None,
) -> None:
    scope = Scope.organization(org.id)
    links = links or sending.Links(base_url=BASE_URL, secret=secret)
    async with databases.crm.transaction(scope) as crm:
        campaign_ids = await runner.campaigns_to_send(crm, now=now)
    crm_units, bi_units = TransactionBoundary(databases.crm), TransactionBoundary(databases.bi)
    for campaign_id in campaign_ids:
        await runner.send_step(
            crm_units, bi_units, scope, campaign_id=campaign_id, sender=sender, links=links, now=now
        )


async def enrollments(
    databases: Databases, org: Org, sequence_id: str | None = None
) -> dict[uuid.UUID, Enrollment]:
    """The enrollments (of one sequence, or all when there is one) by contact."""
    statement = select(Enrollment)
    if sequence_id is not None:
        statement = statement.where(Enrollment.sequence_id == uuid.UUID(sequence_id))
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        rows = list(await crm.scalars(statement))
        for row in rows:
            crm.expunge(row)
    return {row.contact_id: row for row in rows}


async def message_count(databases: Databases, org: Org) -> int:
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        return int(await crm.scalar(select(func.count()).select_from(Message)) or 0)


def tracked(html: str, kind: str) -> str:
    """The path of a tracking URL of kind `c` (click), `o` (open) or `u` (unsubscribe)."""
    found = re.search(rf"{re.escape(BASE_URL)}(/e/{kind}/[A-Za-z0-9_\-.]+)", html)
    assert found, html
    return found.group(1)


def days(n: float) -> timedelta:
    return timedelta(days=n)
