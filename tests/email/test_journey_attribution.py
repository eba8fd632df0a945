"""A campaign's leads through the tracker's session: the click lands with `mid`/`rid`, the
collector keeps them with the session's touch, and a lead left later in that journey —
with any address, in the same session or a later one of the same browser — is credited
to the campaign with its won deal's revenue; a journey without the click is not."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from rastro.core.db import Scope
from rastro.email.service import aggregates, tokens
from rastro.tracking.models import LeadAttribution, UtmTracking
from tests.email.conftest import get, sent_campaign
from tests.helpers import drain_jobs
from tests.tracking.factories import ORIGIN, batch, collect, event, make_site

SESSION, LATER, ELSEWHERE = "s_" + "m" * 22, "s_" + "n" * 22, "s_" + "o" * 22
VISITOR, OTHER_BROWSER = "v_" + "m" * 22, "v_" + "z" * 22


async def _lead(client, site, email, session_id, visitor_id, **fields):  # type: ignore[no-untyped-def]
    response = await client.post(
        "/api/leads",
        json={
            "site": site.key,
            "email": email,
            "rastro_session_id": session_id,
            "rastro_visitor_id": visitor_id,
            **fields,
        },
        headers={"origin": ORIGIN},
    )
    assert response.status_code == 201, response.text
    return response.json()["lead_id"]


async def _bi(databases, org, model):  # type: ignore[no-untyped-def]
    async with databases.bi.transaction(Scope.organization(org.id)) as session:
        return list(await session.scalars(select(model)))


async def test_a_lead_later_in_the_clicked_journey_is_credited_to_the_campaign(
    client, org, settings, databases
) -> None:
    site = await make_site(client, databases, account=org.admin)
    _, messages = await sent_campaign(client, org, settings, databases, ["ana@cliente.com.br"])
    message = messages["ana@cliente.com.br"]
    campaign_id = message.campaign_id
    report = await get(client, org, f"/campaigns/{campaign_id}/report")
    link_id = report["links"][0]["link_id"]
    token = tokens.encode(
        settings.secret_key_value,
        tokens.TrackingToken("c", org.id, message.message_id, link_id),
    )
    response = await client.get(f"/e/c/{token}")
    assert response.status_code == 302
    query = urlsplit(response.headers["location"]).query
    assert parse_qs(query)["mid"] == [str(message.message_id)]
    landing = f"{ORIGIN}/oferta?{query}"

    # The tracker's first batch on the site: the landing, its touch with mid and rid.
    touch = {k: v[0] for k, v in parse_qs(query).items()}
    visit = batch(site, [event(url=landing, view_id="pv1", offset=-120)], session_id=SESSION)
    visit["visitor_id"] = VISITOR
    visit["touch"] = {"first": touch, "last": touch}
    assert (await collect(client, visit)).json()["accepted"] == 1
    # A link whose mid is not an id: the visit is stored, the mid is not.
    junk = batch(
        site,
        [event(url=f"{ORIGIN}/oferta?utm_source=x&mid=not-an-id&rid=1", offset=-100)],
        session_id=ELSEWHERE,
        visitor_id=OTHER_BROWSER,
    )
    assert (await collect(client, junk)).json()["accepted"] == 1
    touches = {t.session_id: t for t in await _bi(databases, org, UtmTracking)}
    assert (touches[SESSION].email_message_id, touches[SESSION].email_contact_id) == (
        message.message_id,
        message.contact_id,
    )
    assert touches[SESSION].channel == "Email"
    assert (touches[ELSEWHERE].email_message_id, touches[ELSEWHERE].email_contact_id) == (
        None,
        None,
    )

    # The form in that session is filled with another address than the recipient's.
    first = await _lead(
        client,
        site,
        "compras@empresa.com.br",
        SESSION,
        VISITOR,
        mid=str(message.message_id),
        rid=str(message.contact_id),
    )
    # Forty minutes later, a new session of the same browser (direct), a third address.
    later = batch(site, [event(url=f"{ORIGIN}/precos", view_id="pv2")], session_id=LATER)
    later["visitor_id"] = VISITOR
    assert (await collect(client, later)).json()["accepted"] == 1
    second = await _lead(client, site, "financeiro@empresa.com.br", LATER, VISITOR)
    # Another browser that never clicked: its lead is not the campaign's.
    await _lead(client, site, "alguem@outra.com.br", ELSEWHERE, OTHER_BROWSER)
    await drain_jobs(settings, databases, queues=["outbox"])

    credited = {
        str(row.lead_id): row.email_message_id for row in await _bi(databases, org, LeadAttribution)
    }
    assert len(credited) == 3
    assert credited[first] == credited[second] == message.message_id
    assert sorted(credited.values(), key=str).count(None) == 1

    won = await client.post(
        f"/api/leads/{second}/stages",
        json={"stage_name": "won", "stage_value": "900.00"},
        headers=org.headers,
    )
    assert won.status_code == 201, won.text
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        await aggregates.refresh_daily(bi, campaign_id=campaign_id)
    report = await get(client, org, f"/campaigns/{campaign_id}/report")
    assert (report["unique_clicks"], report["leads"], report["won_leads"]) == (1, 2, 1)
    assert report["revenue"] == [{"currency": None, "amount": "900.00"}]
    listed = await get(client, org, f"/campaigns/{campaign_id}/drill?figure=leads")
    assert sorted(row["lead_id"] for row in listed["items"]) == sorted([first, second])
