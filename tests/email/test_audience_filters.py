"""Saved-filter audiences on what the CRM knows (latest lead's stage, score, source and
campaign; last activity) and on e-mail campaigns (received, opened, clicked): each
audience's members equal a recount from the rows, and a campaign to it reaches them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from rastro.core.db import Scope
from rastro.core.ids import uuid7
from rastro.crm.models import Activity, Lead
from rastro.email.models import EmailContact, Message
from rastro.email.service import audiences, tokens
from tests.crm.factories import make_leads
from tests.email.conftest import contacts, get, post, sent_campaign
from tests.helpers import drain_jobs

NOW = datetime.now(UTC)


async def _people(client, org, settings, databases):  # type: ignore[no-untyped-def]
    """Four leads with their contacts and one contact without a lead; two campaigns."""
    (hot,) = await make_leads(
        databases, org.id, stage="qualified", score="A", source="Google", campaign="bf"
    )
    (won,) = await make_leads(
        databases, org.id, stage="won", score="B", source="meta", campaign="bf"
    )
    (cold,) = await make_leads(
        databases,
        org.id,
        stage="new",
        score="C",
        source="google",
        campaign="spring",
        created_at=NOW - timedelta(days=100),
    )
    (old,) = await make_leads(
        databases,
        org.id,
        stage="lost",
        score="D",
        source="google",
        campaign="bf",
        created_at=NOW - timedelta(days=200),
    )
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        # `old` came back: a newer lead (qualified) and an activity last week.
        crm.add(
            Lead(
                lead_id=uuid7(),
                contact_id=old.contact_id,
                email=old.email,
                lead_score="B",
                current_stage="qualified",
                source="newsletter",
                created_at=NOW - timedelta(days=8),
            )
        )
        crm.add(
            Activity(
                contact_id=old.contact_id,
                activity_type="note",
                summary="ligou",
                created_at=NOW - timedelta(days=7),
            )
        )
    emails = [hot.email, won.email, cold.email, old.email, "semlead@cliente.com.br"]
    ids = await contacts(client, org, emails)
    assert {ids[hot.email], ids[cold.email]} == {str(hot.contact_id), str(cold.contact_id)}
    # A campaign to every recipient; the lead-less contact clicks it.
    _, sent = await sent_campaign(
        client, org, settings, databases, [cold.email, "semlead@cliente.com.br"]
    )
    clicker = sent["semlead@cliente.com.br"]
    link = (await get(client, org, f"/campaigns/{clicker.campaign_id}/report"))["links"][0][
        "link_id"
    ]
    token = tokens.encode(
        settings.secret_key_value, tokens.TrackingToken("c", org.id, clicker.message_id, link)
    )
    assert (await client.get(f"/e/c/{token}")).status_code == 302
    return {"hot": hot, "won": won, "cold": cold, "old": old}, ids, clicker.campaign_id


async def _recount(databases, org, rule: dict[str, Any]) -> set[uuid.UUID]:  # type: ignore[no-untyped-def]
    """The members by reading every row in Python (the audience's definition, restated)."""
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        recipients = set(await crm.scalars(select(EmailContact.contact_id)))
        leads = list(await crm.scalars(select(Lead)))
        activities = list(await crm.scalars(select(Activity)))
        messages = list(await crm.scalars(select(Message)))
    latest: dict[uuid.UUID, Lead] = {}
    for lead in sorted(leads, key=lambda row: (row.created_at, row.lead_id)):
        latest[lead.contact_id] = lead
    lead_contact = {lead.lead_id: lead.contact_id for lead in leads}
    acted: dict[uuid.UUID, list[datetime]] = {}
    for lead in leads:
        acted.setdefault(lead.contact_id, []).append(lead.created_at)
    for a in activities:
        who = a.contact_id or lead_contact.get(a.lead_id)  # type: ignore[arg-type]
        if who:
            acted.setdefault(who, []).append(a.created_at)
    for m in messages:
        acted.setdefault(m.contact_id, []).extend(
            t for t in (m.first_opened_at, m.first_clicked_at) if t
        )
    members = set()
    for cid in recipients:
        lead = latest.get(cid)
        lower = lambda v: (v or "").lower()  # noqa: E731
        if rule.get("lead_stages") and not (lead and lead.current_stage in rule["lead_stages"]):
            continue
        if rule.get("lead_grades") and not (lead and lead.lead_score in rule["lead_grades"]):
            continue
        if rule.get("lead_sources") and not (
            lead and lower(lead.source) in [s.lower() for s in rule["lead_sources"]]
        ):
            continue
        if rule.get("lead_campaigns") and not (
            lead and lower(lead.campaign) in [c.lower() for c in rule["lead_campaigns"]]
        ):
            continue
        if rule.get("email_campaign_ids"):
            field = {
                "received": "sent_at",
                "opened": "first_opened_at",
                "clicked": "first_clicked_at",
            }[rule.get("email_engagement", "received")]
            if not any(
                str(m.campaign_id) in rule["email_campaign_ids"] and getattr(m, field)
                for m in messages
                if m.contact_id == cid
            ):
                continue
        last = max(acted.get(cid, []), default=None)
        if "active_within_days" in rule and not (
            last and last >= NOW - timedelta(days=rule["active_within_days"])
        ):
            continue
        if "inactive_days" in rule and last and last >= NOW - timedelta(days=rule["inactive_days"]):
            continue
        members.add(cid)
    return members


async def _selected(databases, org, rule) -> set[uuid.UUID]:  # type: ignore[no-untyped-def]
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        return set(
            await crm.scalars(
                select(EmailContact.contact_id).where(audiences.filter_condition(rule, now=NOW))
            )
        )


async def test_filters_on_lead_stage_score_source_campaign_and_activity_equal_a_recount(
    client, org, other_org, settings, databases
) -> None:
    people, ids, campaign_id = await _people(client, org, settings, databases)
    cid = {name: row.contact_id for name, row in people.items()}
    lead_less = uuid.UUID(ids["semlead@cliente.com.br"])
    rules: list[tuple[dict[str, Any], set[uuid.UUID]]] = [
        ({"lead_stages": ["qualified"]}, {cid["hot"], cid["old"]}),  # old: its latest lead
        ({"lead_grades": ["A", "B"]}, {cid["hot"], cid["won"], cid["old"]}),
        ({"lead_sources": ["GOOGLE"]}, {cid["hot"], cid["cold"]}),
        ({"lead_campaigns": ["bf"], "lead_stages": ["won", "qualified"]}, {cid["hot"], cid["won"]}),
        ({"email_campaign_ids": [str(campaign_id)]}, {*cid.values(), lead_less}),
        ({"email_campaign_ids": [str(campaign_id)], "email_engagement": "clicked"}, {lead_less}),
        ({"active_within_days": 30}, {cid["hot"], cid["won"], cid["old"], lead_less}),
        ({"inactive_days": 90}, {cid["cold"]}),
        ({"inactive_days": 30, "lead_sources": ["google"]}, {cid["cold"]}),
    ]
    for rule, expected in rules:
        assert (
            await _selected(databases, org, rule)
            == expected
            == await _recount(databases, org, rule)
        ), rule
        created = await post(
            client, org, "/audiences", {"name": str(rule), "kind": "filter", "filter": rule}
        )
        listed = {a["audience_id"]: a["contacts"] for a in await get(client, org, "/audiences")}
        assert listed[created["audience_id"]] == len(expected), rule

    # A campaign to a CRM-filtered audience generates exactly its members' messages.
    audience = await post(
        client,
        org,
        "/audiences",
        {"name": "Quentes", "kind": "filter", "filter": {"lead_grades": ["A"]}},
    )
    sender = await post(client, org, "/senders", {"name": "Sim", "kind": "simulated"})
    created = await post(
        client,
        org,
        "/campaigns",
        {
            "name": "Quentes",
            "subject": "Oi",
            "from_name": "Loja",
            "from_address": "news@loja.com.br",
            "html": "<p>Oi</p>",
            "text": "Oi {{ unsubscribe_url }}",
            "audience_ids": [audience["audience_id"]],
            "sender_id": sender["sender_id"],
        },
    )
    await post(client, org, f"/campaigns/{created['campaign_id']}/send")
    await drain_jobs(settings, databases, queues=["email"])
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        reached = set(
            await crm.scalars(
                select(Message.contact_id).where(
                    Message.campaign_id == uuid.UUID(created["campaign_id"])
                )
            )
        )
    assert reached == {cid["hot"]}

    # Another organization's campaign is not a reference a filter may hold; a bad grade is 422.
    foreign = await client.post(
        "/api/email/audiences",
        json={"name": "x", "kind": "filter", "filter": {"email_campaign_ids": [str(campaign_id)]}},
        headers=other_org.headers,
    )
    assert foreign.status_code == 422
    assert foreign.json()["error"]["code"] == "unknown_reference"
    bad = await client.post(
        "/api/email/audiences",
        json={"name": "x", "kind": "filter", "filter": {"lead_grades": ["Z"], "inactive_days": 0}},
        headers=org.headers,
    )
    assert bad.status_code == 422
