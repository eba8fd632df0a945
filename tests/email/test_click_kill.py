"""The click redirect under `kill -9`: a real server process (uvicorn, the app's click
writer) answers clicks and is killed before it stored their BI events; every click it
answered is in the CRM's queue, and the periodic sweep (`drain_clicks`) stores each one
exactly once, however often it runs."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import httpx
from sqlalchemy import select

from rastro.core.db import Scope
from rastro.email.click_models import QueuedClick
from rastro.email.event_models import MessageEvent
from rastro.email.models import Link, Message
from rastro.email.service import click_drain, tokens
from tests.email.conftest import sent_campaign
from tests.tracking.test_collector_kill import Server

EMAILS = [f"cliente{n}@exemplo.com.br" for n in range(4)]
CLICKS_PER_MESSAGE = 3


async def test_clicks_answered_by_a_killed_server_are_stored_once(
    client, org, settings, databases
) -> None:
    _, messages = await sent_campaign(client, org, settings, databases, EMAILS)
    scope = Scope.organization(org.id)
    async with databases.crm.transaction(scope) as session:
        link = await session.scalar(select(Link.link_id).order_by(Link.position))
    paths = [
        "/e/c/"
        + tokens.encode(
            settings.secret_key_value,
            tokens.TrackingToken("c", org.id, message.message_id, link),
        )
        for message in messages.values()
        for _ in range(CLICKS_PER_MESSAGE)
    ]
    server = Server(settings)
    # Its drain never comes before the kill: what it answered is only in the queue.
    server.env["EMAIL_CLICK_DRAIN_SECONDS"] = "3600"
    try:
        await asyncio.to_thread(server.start)
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            answers = await asyncio.gather(*(http.get(path) for path in paths))
        assert [a.status_code for a in answers] == [302] * len(paths)
        await asyncio.to_thread(server.kill)
    finally:
        server.stop()

    async with databases.crm.transaction(scope) as session:
        queued = list(await session.scalars(select(QueuedClick)))
    async with databases.bi.transaction(scope) as session:
        clicks = select(MessageEvent).where(MessageEvent.type == "click")
        assert list(await session.scalars(clicks)) == []
    assert len(queued) == len(paths)

    # The sweep (the job, once their age is past; twice, as two overlapping runs would).
    assert await click_drain.sweep(databases, older_than=timedelta(0)) == len(paths)
    assert await click_drain.sweep(databases, older_than=timedelta(0)) == 0
    async with databases.bi.transaction(scope) as session:
        events = list(await session.scalars(clicks))
    assert sorted(e.event_id for e in events) == sorted(q.event_id for q in queued)
    assert Counter(e.message_id for e in events) == {
        m.message_id: CLICKS_PER_MESSAGE for m in messages.values()
    }
    async with databases.crm.transaction(scope) as session:
        assert list(await session.scalars(select(QueuedClick))) == []
        firsts = {m.message_id: m.first_clicked_at for m in await session.scalars(select(Message))}
    for message in messages.values():
        earliest = min(e.occurred_at for e in events if e.message_id == message.message_id)
        assert firsts[message.message_id] == earliest
