"""Signed links and opens, the click that joins the journey (UTMs, mid, rid) and is
attributed to the campaign's leads and revenue, one-click unsubscribe, and aggregates equal
to a recount from the events."""

from __future__ import annotations

import uuid
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import select

from rastro.core.db import Scope
from rastro.email.event_models import MessageEvent
from rastro.email.models import Message
from rastro.email.service import aggregates, content, tokens, tracking
from tests.email.conftest import campaign, clicks_stored, contacts, get, post, static_audience
from tests.helpers import drain_jobs


async def _sent_campaign(client, org, settings, databases, emails, **fields):  # type: ignore[no-untyped-def]
    ids = await contacts(client, org, emails, name="Ana <b>Souza</b>")
    audience = await static_audience(client, org, list(ids.values()))
    created = await campaign(client, org, [audience], **fields)
    await post(client, org, f"/campaigns/{created['campaign_id']}/send")
    await drain_jobs(settings, databases, queues=["email"])
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        messages = list(
            await session.scalars(
                select(Message).where(Message.campaign_id == uuid.UUID(created["campaign_id"]))
            )
        )
    return created, ids, messages


def _token(settings, org, message, kind, link_id=0):  # type: ignore[no-untyped-def]
    return tokens.encode(
        settings.secret_key_value,
        tokens.TrackingToken(kind, org.id, message.message_id, link_id),
    )


async def _events(databases, org, campaign_id):  # type: ignore[no-untyped-def]
    async with databases.bi.transaction(Scope.organization(org.id)) as session:
        return list(
            await session.scalars(
                select(MessageEvent).where(MessageEvent.campaign_id == uuid.UUID(campaign_id))
            )
        )


async def test_click_redirects_with_utms_and_is_attributed_to_revenue(
    app, client, org, settings, databases
) -> None:
    created, _ids, messages = await _sent_campaign(
        client, org, settings, databases, ["ana@cliente.com.br"], utm_campaign="bf-2026"
    )
    assert [m.status for m in messages] == ["sent"]
    message = messages[0]
    report = await get(client, org, f"/campaigns/{created['campaign_id']}/report")
    links = {link["url"]: link["link_id"] for link in report["links"]}
    offer = links["https://loja.com.br/oferta?cupom=X"]

    response = await client.get(f"/e/c/{_token(settings, org, message, 'c', offer)}")
    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    assert (target.netloc, target.path) == ("loja.com.br", "/oferta")
    query = parse_qs(target.query)
    assert query == {
        "cupom": ["X"],
        "utm_source": ["newsletter"],
        "utm_medium": ["email"],
        "utm_campaign": ["bf-2026"],
        "mid": [str(message.message_id)],
        "rid": [str(message.contact_id)],
    }

    # The visitor leaves a lead with the same address, which is won later.
    lead = await client.post(
        "/api/leads",
        json={"email": "ana@cliente.com.br", "name": "Ana Souza"},
        headers=org.headers,
    )
    assert lead.status_code in (200, 201), lead.text
    won = await client.post(
        f"/api/leads/{lead.json()['lead_id']}/stages",
        json={"stage_name": "won", "stage_value": "1500.00"},
        headers=org.headers,
    )
    assert won.status_code == 201, won.text

    await clicks_stored(app)  # its event follows the answer
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        await aggregates.refresh_daily(bi, campaign_id=uuid.UUID(created["campaign_id"]))
    report = await get(client, org, f"/campaigns/{created['campaign_id']}/report")
    assert (report["sent"], report["delivered"], report["clicks"], report["unique_clicks"]) == (
        1,
        1,
        1,
        1,
    )
    assert (report["leads"], report["won_leads"]) == (1, 1)
    assert report["revenue"] == [{"currency": None, "amount": "1500.00"}]
    assert report["links"][0] == {
        "link_id": offer,
        "url": "https://loja.com.br/oferta?cupom=X",
        "clicks": 1,
        "unique_clicks": 1,
    }


async def test_tampered_foreign_and_unknown_tokens_are_404(
    client, org, other_org, settings, databases
) -> None:
    _, _, messages = await _sent_campaign(client, org, settings, databases, ["bia@cliente.com.br"])
    good = _token(settings, org, messages[0], "c", 1)
    flipped = good[:20] + ("A" if good[20] != "A" else "B") + good[21:]
    unknown = tokens.encode(
        settings.secret_key_value, tokens.TrackingToken("c", org.id, uuid.uuid4(), 1)
    )
    foreign_key = tokens.encode(
        "another-secret-" + "y" * 40, tokens.TrackingToken("c", org.id, messages[0].message_id, 1)
    )
    # Signed for the other organization: the message is not there.
    other = tokens.encode(
        settings.secret_key_value,
        tokens.TrackingToken("c", other_org.id, messages[0].message_id, 1),
    )
    open_kind = _token(settings, org, messages[0], "o")
    for bad in (
        flipped,
        good[:-3],
        unknown,
        foreign_key,
        other,
        open_kind,
        "x" * 66,
        "%%%%%%%%%%%%",
    ):
        response = await client.get(f"/e/c/{bad}")
        assert response.status_code == 404, bad
        assert response.json()["error"]["code"] in ("not_found",)
    response = await client.get(f"/e/o/{flipped}.gif")
    assert response.status_code == 404
    response = await client.post(f"/e/u/{flipped}", content=b"List-Unsubscribe=One-Click")
    assert response.status_code == 404


async def test_opens_are_flagged_when_automatic(
    app, client, org, settings, databases, monkeypatch
) -> None:
    created, _, messages = await _sent_campaign(
        client, org, settings, databases, ["caio@cliente.com.br"]
    )
    pixel = f"/e/o/{_token(settings, org, messages[0], 'o')}.gif"
    apple = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("17.58.63.10", 40000)),
        base_url="http://testserver",
    )
    async with apple:
        response = await apple.get(pixel, headers={"user-agent": "Mozilla/5.0"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    await client.get(pixel, headers={"user-agent": "Mimecast URL scanner"})
    person = {"user-agent": "Mozilla/5.0 (Macintosh) Thunderbird/128"}
    await client.get(pixel, headers=person)  # seconds after the sending: a prefetch
    monkeypatch.setattr(tracking, "MACHINE_OPEN_SECONDS", 0.0)
    await client.get(pixel, headers=person)
    opens = [e for e in await _events(databases, org, created["campaign_id"]) if e.type == "open"]
    assert sorted((e.is_machine, e.subtype or "") for e in opens) == [
        (False, ""),
        (True, "apple_mpp"),
        (True, "min_delay"),
        (True, "scanner"),
    ]
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        await aggregates.refresh_daily(bi, campaign_id=uuid.UUID(created["campaign_id"]))
    report = await get(client, org, f"/campaigns/{created['campaign_id']}/report")
    assert (report["opens"], report["human_opens"], report["unique_opens"]) == (4, 1, 1)


async def test_one_click_unsubscribe_is_recorded_once_and_honoured(
    client, org, settings, databases
) -> None:
    created, ids, messages = await _sent_campaign(
        client, org, settings, databases, ["duda@cliente.com.br", "eva@cliente.com.br"]
    )
    duda = next(m for m in messages if str(m.contact_id) == ids["duda@cliente.com.br"])
    url = f"/e/u/{_token(settings, org, duda, 'u')}"
    for _ in range(2):  # the mail client retries
        response = await client.post(
            url,
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200
    listed = await get(client, org, "/unsubscribes")
    assert [(u["contact_id"], u["email"], u["scope"], u["source"]) for u in listed["items"]] == [
        (ids["duda@cliente.com.br"], "duda@cliente.com.br", "global", "one_click")
    ]
    events = await _events(databases, org, created["campaign_id"])
    assert Counter(e.type for e in events)["unsubscribe"] == 1

    page = await client.get(url)
    assert "já está descadastrado" in page.text

    audience = await static_audience(client, org, list(ids.values()), name="Todos")
    later = await campaign(client, org, [audience], name="Depois")
    await post(client, org, f"/campaigns/{later['campaign_id']}/generate")
    await drain_jobs(settings, databases, queues=["email"])
    generated = await get(client, org, f"/campaigns/{later['campaign_id']}")
    assert (generated["generated"], generated["exclusions"]["unsubscribed"]) == (1, 1)


async def test_unsubscribe_page_escapes_and_offers_campaign_scope(
    client, org, settings, databases
) -> None:
    created, _, messages = await _sent_campaign(
        client, org, settings, databases, ["fabi@cliente.com.br"], name="<script>alert(1)</script>"
    )
    url = f"/e/u/{_token(settings, org, messages[0], 'u')}"
    page = await client.get(url)
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
    response = await client.post(url, data={"scope": "campaign"})
    assert response.status_code == 200
    listed = await get(client, org, "/unsubscribes")
    assert [(u["scope"], u["campaign_id"]) for u in listed["items"]] == [
        ("campaign", created["campaign_id"])
    ]


def test_merge_fields_are_escaped_in_html_only() -> None:
    recipient = content.Recipient("a@b.com", '<img src=x onerror="x()">', {"plano": "<b>"})
    html = content.merge(
        "<p>{{ name }} {{attributes.plano}} {{ unknown }}</p>", recipient, escape=True, extra={}
    )
    assert html == "<p>&lt;img src=x onerror=&quot;x()&quot;&gt; &lt;b&gt; </p>"
    text = content.merge("{{ first_name }}", recipient, escape=False, extra={})
    assert text == "<img"


async def test_aggregates_equal_a_recount_from_events(
    app, client, org, settings, databases
) -> None:
    created, _, messages = await _sent_campaign(
        client, org, settings, databases, [f"r{n}@cliente.com.br" for n in range(4)]
    )
    report = await get(client, org, f"/campaigns/{created['campaign_id']}/report")
    link_id = report["links"][0]["link_id"]
    for n, message in enumerate(messages):
        for _ in range(n):  # 0, 1, 2, 3 clicks and opens
            await client.get(f"/e/c/{_token(settings, org, message, 'c', link_id)}")
            await client.get(f"/e/o/{_token(settings, org, message, 'o')}.gif")
    await clicks_stored(app)
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        await aggregates.refresh_daily(bi, campaign_id=uuid.UUID(created["campaign_id"]))
    report = await get(client, org, f"/campaigns/{created['campaign_id']}/report")
    events = await _events(databases, org, created["campaign_id"])
    by_type = Counter(e.type for e in events)
    unique = {t: len({e.message_id for e in events if e.type == t}) for t in ("open", "click")}
    assert report["sent"] == by_type["sent"] == 4
    assert report["clicks"] == by_type["click"] == 6
    assert report["opens"] == by_type["open"] == 6
    assert report["unique_clicks"] == unique["click"] == 3
    assert report["unique_opens"] == unique["open"]
    assert report["click_to_open"] == round(unique["click"] / report["unique_opens"], 4)
