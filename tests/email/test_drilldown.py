"""Drill-down from a report's figure to its events or leads: every list's total equals
the figure it opens, pages cover the rows once, a day or link narrows it, CSV has the
same rows, and another organization's campaign is 404."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from rastro.core.db import Scope
from rastro.email.event_models import MessageEvent
from rastro.email.service import aggregates, events, tokens
from tests.email.conftest import clicks_stored, get, sent_campaign

FIGURES = (
    "sent",
    "delivered",
    "opens",
    "human_opens",
    "unique_opens",
    "clicks",
    "unique_clicks",
    "hard_bounces",
    "soft_bounces",
    "complaints",
    "unsubscribes",
    "refused",
    "leads",
    "won_leads",
)


def _token(settings, org, message, kind, link_id=0):  # type: ignore[no-untyped-def]
    return tokens.encode(
        settings.secret_key_value, tokens.TrackingToken(kind, org.id, message.message_id, link_id)
    )


async def _busy_campaign(app, client, org, settings, databases):  # type: ignore[no-untyped-def]
    emails = [f"d{n}@cliente.com.br" for n in range(6)]
    _, by_email = await sent_campaign(client, org, settings, databases, emails)
    messages = [by_email[e] for e in emails]
    campaign_id = messages[0].campaign_id
    report = await get(client, org, f"/campaigns/{campaign_id}/report")
    first, second = (link["link_id"] for link in report["links"][:2])
    for n, message in enumerate(messages[:4]):
        for _ in range(n):  # 0..3 opens and clicks on the first link
            await client.get(f"/e/o/{_token(settings, org, message, 'o')}.gif")
            await client.get(f"/e/c/{_token(settings, org, message, 'c', first)}")
    await client.get(f"/e/c/{_token(settings, org, messages[3], 'c', second)}")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    provider = [
        events.NewEvent(
            campaign_id, messages[0].message_id, messages[0].contact_id, "open", "tracker"
        ),
        events.NewEvent(
            campaign_id,
            messages[4].message_id,
            messages[4].contact_id,
            "open",
            "ses",
            subtype="apple_mpp",
            is_machine=True,
            occurred_at=yesterday,
        ),
        events.NewEvent(
            campaign_id,
            messages[5].message_id,
            messages[5].contact_id,
            "bounce",
            "ses",
            subtype="hard",
        ),
        events.NewEvent(
            campaign_id,
            messages[4].message_id,
            messages[4].contact_id,
            "bounce",
            "ses",
            subtype="soft",
        ),
        events.NewEvent(
            campaign_id, messages[2].message_id, messages[2].contact_id, "complaint", "ses"
        ),
    ]
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        await events.record_events(bi, events=provider)
    # d3 unsubscribes (one-click) and leaves a lead that is won.
    await client.post(
        f"/e/u/{_token(settings, org, messages[3], 'u')}", data={"List-Unsubscribe": "One-Click"}
    )
    for email, won in (("d3@cliente.com.br", True), ("d2@cliente.com.br", False)):
        lead = await client.post("/api/leads", json={"email": email}, headers=org.headers)
        assert lead.status_code in (200, 201), lead.text
        if won:
            moved = await client.post(
                f"/api/leads/{lead.json()['lead_id']}/stages",
                json={"stage_name": "won", "stage_value": "90.00"},
                headers=org.headers,
            )
            assert moved.status_code == 201, moved.text
    await clicks_stored(app)
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        await aggregates.refresh_daily(bi, campaign_id=campaign_id)
    return campaign_id, messages, first, second


async def test_every_figure_lists_as_many_rows_as_it_counts(
    app, client, org, other_org, settings, databases
) -> None:
    campaign_id, messages, first, second = await _busy_campaign(
        app, client, org, settings, databases
    )
    report = await get(client, org, f"/campaigns/{campaign_id}/report")
    # Opens via the pixel within seconds of delivery are automatic, later ones human: on a
    # slow machine some are late, so the human count is read from the stored events.
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        human_opens = await bi.scalar(
            select(func.count()).where(
                MessageEvent.campaign_id == campaign_id,
                MessageEvent.type == "open",
                MessageEvent.is_machine.is_(False),
            )
        )
    assert human_opens is not None
    assert human_opens >= 1  # d0's open recorded as a person's
    expected = {
        "sent": 6,
        "delivered": 6,
        "opens": 8,
        "human_opens": human_opens,
        "unique_opens": 5,
        "clicks": 7,
        "unique_clicks": 3,
        "hard_bounces": 1,
        "soft_bounces": 1,
        "complaints": 1,
        "unsubscribes": 1,
        "refused": 0,
        "leads": 2,
        "won_leads": 1,
    }
    assert {figure: report[figure] for figure in FIGURES} == expected
    for figure in FIGURES:
        page = await get(
            client, org, f"/campaigns/{campaign_id}/drill?figure={figure}&page_size=200"
        )
        assert page["total"] == report[figure] == len(page["items"]), figure

    opened = await get(client, org, f"/campaigns/{campaign_id}/drill?figure=unique_opens")
    assert len({row["message_id"] for row in opened["items"]}) == 5
    human = await get(client, org, f"/campaigns/{campaign_id}/drill?figure=human_opens")
    assert not any(r["is_machine"] for r in human["items"])
    assert "d0@cliente.com.br" in {r["email"] for r in human["items"]}
    hard = await get(client, org, f"/campaigns/{campaign_id}/drill?figure=hard_bounces")
    assert [(r["email"], r["subtype"], r["type"]) for r in hard["items"]] == [
        ("d5@cliente.com.br", "hard", "bounce")
    ]
    won = await get(client, org, f"/campaigns/{campaign_id}/drill?figure=won_leads")
    assert [(r["email"], r["stage"], r["value"]) for r in won["items"]] == [
        ("d3@cliente.com.br", "won", "90.00")
    ]

    # Pages cover the rows once; a link or a day narrows the list to the day's figure.
    seen = []
    for number in (1, 2, 3):
        page = await get(
            client, org, f"/campaigns/{campaign_id}/drill?figure=clicks&page_size=3&page={number}"
        )
        seen += [row["event_id"] for row in page["items"]]
    assert len(seen) == len(set(seen)) == 7
    on_second = await get(
        client, org, f"/campaigns/{campaign_id}/drill?figure=clicks&link_id={second}"
    )
    assert [r["url"] for r in on_second["items"]] == ["https://loja.com.br/blog"]
    for day in report["days"]:
        for figure in ("opens", "human_opens", "unique_opens"):
            page = await get(
                client, org, f"/campaigns/{campaign_id}/drill?figure={figure}&day={day['day']}"
            )
            assert page["total"] == day[figure], (day["day"], figure)

    exported = await client.get(
        f"/api/email/campaigns/{campaign_id}/drill/export?figure=unique_clicks", headers=org.headers
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert sorted(r["email"] for r in rows) == [f"d{n}@cliente.com.br" for n in (1, 2, 3)]
    assert {r["type"] for r in rows} == {"click"}

    bad = await client.get(
        f"/api/email/campaigns/{campaign_id}/drill?figure=opens&link_id={first}",
        headers=org.headers,
    )
    assert bad.status_code == 422
    unknown = await client.get(
        f"/api/email/campaigns/{campaign_id}/drill?figure=everything", headers=org.headers
    )
    assert unknown.status_code == 422
    foreign = await client.get(
        f"/api/email/campaigns/{campaign_id}/drill?figure=sent", headers=other_org.headers
    )
    assert foreign.status_code == 404
    missing = await client.get(
        f"/api/email/campaigns/{uuid.uuid4()}/drill/export?figure=sent", headers=org.headers
    )
    assert missing.status_code == 404
    assert messages
