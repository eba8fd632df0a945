"""The click redirect's group writer: a click is answered once it is committed in the CRM's
click queue (one durable write), its BI event follows from the queue (the serving
process's drain, or the sweep for what a stopped process left), each click is stored
once however often it is drained, and the first click time is the earliest click's."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from rastro.core.db import Scope, libpq_url
from rastro.core.ids import uuid7
from rastro.core.units import TransactionBoundary, autocommit_connection
from rastro.email.click_models import QueuedClick
from rastro.email.contracts import RASTRO_EMAIL_CLICKS, RASTRO_EMAIL_EVENTS, EmailClick
from rastro.email.event_models import MessageEvent
from rastro.email.models import Link, Message
from rastro.email.service import click_drain, tokens
from rastro.email.service.click_writer import ClickWriter
from tests.email.conftest import sent_campaign

NOW = timedelta(0)  # the sweep takes every queued click, however recent


def _path(settings, org, message_id, link_id):  # type: ignore[no-untyped-def]
    token = tokens.TrackingToken("c", org.id, message_id, link_id)
    return f"/e/c/{tokens.encode(settings.secret_key_value, token)}"


async def _link(databases, org, campaign_id):  # type: ignore[no-untyped-def]
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        return await session.scalar(
            select(Link.link_id).where(Link.campaign_id == campaign_id).order_by(Link.position)
        )


async def _first_clicked(databases, org, message_id):  # type: ignore[no-untyped-def]
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        message = await session.get(Message, message_id)
        assert message is not None
        return message.first_clicked_at


async def _clicks(databases, org, message_id):  # type: ignore[no-untyped-def]
    async with databases.bi.transaction(Scope.organization(org.id)) as session:
        return list(
            await session.scalars(
                select(MessageEvent).where(
                    MessageEvent.message_id == message_id, MessageEvent.type == "click"
                )
            )
        )


async def _queued(databases, org):  # type: ignore[no-untyped-def]
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        return list(await session.scalars(select(QueuedClick)))


def _writer(app, databases, **options):  # type: ignore[no-untyped-def]
    writer = ClickWriter(libpq_url(databases.crm.url), libpq_url(databases.bi.url), **options)
    app.state.email_click_writer = writer
    app.state.closers.append(writer.close)
    return writer


async def test_a_click_whose_crm_write_fails_is_not_acknowledged(
    app, client, org, settings, databases
) -> None:
    _, messages = await sent_campaign(
        client, org, settings, databases, ["ana@cliente.com.br", "bia@cliente.com.br"]
    )
    ana, bia = messages["ana@cliente.com.br"], messages["bia@cliente.com.br"]
    link = await _link(databases, org, ana.campaign_id)
    # One writer: the connection killed below is the one the next click uses.
    writer = _writer(app, databases, writers=1, drain_seconds=0)
    assert (await client.get(_path(settings, org, ana.message_id, link))).status_code == 302
    await writer.settled()

    # The CRM goes away under the writer (its connection is terminated).
    async with databases.crm.engine.connect() as admin:
        killed = await admin.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE query LIKE 'SELECT rastro_email_clicks(%' AND pid <> pg_backend_pid()"
            )
        )
    assert killed == 1
    path = _path(settings, org, bia.message_id, link)
    refused = await client.get(path)
    assert refused.status_code == 503
    assert "location" not in refused.headers
    assert refused.json()["error"]["code"] == "database_unavailable"
    await writer.settled()
    # Nothing of the refused click was written anywhere.
    assert await _first_clicked(databases, org, bia.message_id) is None
    assert await _clicks(databases, org, bia.message_id) == []
    assert await _queued(databases, org) == []

    # The visitor clicks again: the writer reconnects, the click is stored and answered.
    again = await client.get(path)
    assert again.status_code == 302
    assert again.headers["location"].startswith("https://loja.com.br/oferta?cupom=X")
    assert await _first_clicked(databases, org, bia.message_id) is not None
    await writer.settled()
    assert len(await _clicks(databases, org, bia.message_id)) == 1
    assert len(await _clicks(databases, org, ana.message_id)) == 1
    assert await _queued(databases, org) == []


async def test_an_acknowledged_click_is_queued_and_stored_once_by_the_sweep(
    app, client, org, settings, databases
) -> None:
    _, messages = await sent_campaign(client, org, settings, databases, ["caio@cliente.com.br"])
    message = messages["caio@cliente.com.br"]
    link = await _link(databases, org, message.campaign_id)
    # A process that answers and never drains (as one killed right after answering).
    _writer(app, databases, drain_seconds=3600)
    path = _path(settings, org, message.message_id, link)
    assert (await client.get(path)).status_code == 302
    assert (await client.get(path)).status_code == 302

    # Answered once committed in the queue, with the first click time; no event yet.
    queued = await _queued(databases, org)
    assert len(queued) == 2
    assert {(q.campaign_id, q.contact_id, q.link_id) for q in queued} == {
        (message.campaign_id, message.contact_id, link)
    }
    first = await _first_clicked(databases, org, message.message_id)
    assert first == min(q.clicked_at for q in queued)
    assert await _clicks(databases, org, message.message_id) == []
    # A recent click is the serving process's to drain: the periodic sweep leaves it.
    assert await click_drain.sweep(databases) == 0

    # A process stopped between the BI commit and the CRM's: one click's event is
    # stored, its queue row still there.
    rows = await click_drain.queued(databases, older_than=NOW)
    await TransactionBoundary(databases.bi).call(
        RASTRO_EMAIL_EVENTS, [click_drain.click_event(rows[0], datetime.now(UTC))]
    )
    assert await click_drain.sweep(databases, older_than=NOW) == 2
    events = await _clicks(databases, org, message.message_id)
    assert sorted(e.event_id for e in events) == sorted(q.event_id for q in queued)
    assert {(e.campaign_id, e.contact_id, e.link_id, e.source) for e in events} == {
        (message.campaign_id, message.contact_id, link, "tracker")
    }
    assert await _queued(databases, org) == []
    # Swept again (or drained by both paths): nothing more.
    assert await click_drain.sweep(databases, older_than=NOW) == 0
    stored = await click_drain.drain(
        TransactionBoundary(databases.bi).call, TransactionBoundary(databases.crm).call, rows
    )
    assert stored == 0
    assert len(await _clicks(databases, org, message.message_id)) == 2


async def test_the_redirect_does_not_wait_for_a_locked_message_and_the_drain_sets_the_first_click(
    app, client, org, settings, databases
) -> None:
    _, messages = await sent_campaign(client, org, settings, databases, ["dora@cliente.com.br"])
    message = messages["dora@cliente.com.br"]
    link = await _link(databases, org, message.campaign_id)
    writer = _writer(app, databases, drain_seconds=0)
    # Another transaction holds the message's row (a sending result, a bounce…).
    locker = await autocommit_connection(libpq_url(databases.crm.url))
    try:
        await locker.execute("BEGIN")
        await locker.execute("SELECT set_config('rastro.scope', 'system', true)")
        await locker.execute(
            "SELECT 1 FROM email_messages WHERE message_id = %s FOR UPDATE",
            (message.message_id,),
        )
        path = _path(settings, org, message.message_id, link)
        answered = await asyncio.wait_for(client.get(path), timeout=10)
        assert answered.status_code == 302
        assert await _first_clicked(databases, org, message.message_id) is None
        await locker.execute("COMMIT")
    finally:
        await locker.close()
    # The drain waits for the row and sets the first click time from the queued click.
    await writer.settled()
    events = await _clicks(databases, org, message.message_id)
    assert len(events) == 1
    assert await _first_clicked(databases, org, message.message_id) == events[0].occurred_at

    # A click queued out of order (earlier than the stored first click): the drain keeps
    # the earliest.
    earlier = events[0].occurred_at - timedelta(minutes=5)
    click: EmailClick = {
        "event_id": uuid7(),
        "organization_id": org.id,
        "message_id": message.message_id,
        "link_id": link,
        "clicked_at": earlier,
        "user_agent": "Mozilla/5.0",
    }
    unknown: EmailClick = {**click, "event_id": uuid7(), "message_id": uuid.uuid4()}
    crm = await autocommit_connection(libpq_url(databases.crm.url))
    try:
        hits = await RASTRO_EMAIL_CLICKS.on(crm, [click, unknown])
    finally:
        await crm.close()
    assert hits[1] is None  # a message the organization does not have: nothing queued
    assert hits[0] is not None
    assert await click_drain.sweep(databases, older_than=NOW) == 1
    assert await _first_clicked(databases, org, message.message_id) == earlier
    assert len(await _clicks(databases, org, message.message_id)) == 2
    async with databases.bi.transaction(Scope.organization(org.id)) as session:
        count = select(func.count()).select_from(MessageEvent)
        assert await session.scalar(count.where(MessageEvent.event_id == unknown["event_id"])) == 0
