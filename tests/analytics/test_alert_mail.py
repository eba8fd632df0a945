"""Alerts by e-mail (issue 18 part 6): a rule's member recipients get a mail in their
language when a firing opens and when it resolves, through the instance's system sender;
recipients must be members of the organization; without a sender the delivery fails and
says why."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from rastro.auth.models import User
from rastro.config import Settings
from rastro.core.db import SYSTEM
from rastro.email.system.transport import simulated_outbox
from tests.analytics.factories import Visit, refresh
from tests.analytics.health_data import BF, local_today, noon
from tests.analytics.join_data import ad_row, lead_on, store_spend, touch
from tests.auth.factories import make_account
from tests.helpers import drain_jobs
from tests.tracking.factories import make_site

RULE_NAME = "ROAS <b>baixo</b>"


@pytest.fixture
def mail_settings(settings: Settings) -> Settings:
    simulated_outbox().sent.clear()
    return settings.model_copy(update={"mail_sender": "simulated"})


async def _spend(databases, org, days) -> None:
    rows = [ad_row(day, BF, ("a1", "Video A"), "100", ad_set=("s1", "LAL")) for day in days]
    await store_spend(databases, org, "meta", "act_1", rows)


async def _rule(client, headers, recipients: list[str]):
    return await client.post(
        "/api/analytics/alerts/rules",
        headers=headers,
        json={
            "name": RULE_NAME,
            "metric": "real_roas",
            "comparator": "below",
            "threshold": "1.5",
            "window_days": 1,
            "email_recipients": recipients,
        },
    )


async def _set_locale(databases, user_id: uuid.UUID, locale: str) -> None:
    async with databases.crm.transaction(SYSTEM) as crm:
        await crm.execute(update(User).where(User.id == user_id).values(locale=locale))


async def test_recipients_get_the_opening_and_the_resolution_in_their_language(
    client, databases, mail_settings
):
    site = await make_site(client, databases)
    org = site.account.organization_id
    analyst = await make_account(databases, role="analyst", organization_id=org)
    await _set_locale(databases, analyst.user_id, "en")
    not_asked = await make_account(databases, role="analyst", organization_id=org)
    d = local_today() - timedelta(days=1)
    await _spend(databases, org, [d - timedelta(days=1), d])
    response = await _rule(client, site.headers, [str(site.account.user_id), str(analyst.user_id)])
    assert response.status_code == 201, response.text
    assert response.json()["email_recipients"] == [
        str(site.account.user_id),
        str(analyst.user_id),
    ]

    opened = await client.post("/api/analytics/alerts/evaluate", headers=site.headers)
    assert opened.json()["opened"] == 1
    await drain_jobs(mail_settings, databases, queues=["alerts"])
    sent = {mail.to: mail for mail in simulated_outbox().sent}
    assert set(sent) == {site.account.email, analyst.email}  # not `not_asked`
    assert not_asked.email not in sent
    pt, en = sent[site.account.email], sent[analyst.email]
    assert pt.subject == f"Alerta: {RULE_NAME} — todo o gasto"
    assert "ROAS real abaixo de 1,50" in pt.text
    assert f"{d.isoformat()}: 0,00" in pt.text
    assert en.subject == f"Alert: {RULE_NAME} — all spend"
    assert "real ROAS below 1.50" in en.text
    # people's text is escaped in the HTML part, and the link leads to the alerts page
    assert "<b>baixo</b>" not in pt.html
    assert "&lt;b&gt;baixo&lt;/b&gt;" in pt.html
    assert "http://127.0.0.1:8000/analytics/alerts" in pt.text
    # bulk headers belong to campaigns, not to Rastro's own mails
    assert "List-Unsubscribe" not in pt.mime()
    [event] = (await client.get("/api/analytics/alerts/events", headers=site.headers)).json()
    assert [(d["channel"], d["transition"], d["status"]) for d in event["deliveries"]] == [
        ("email", "opened", "success")
    ]

    # A sale of R$ 500 on D through a touch of the campaign: ROAS 5, the firing resolves.
    simulated_outbox().sent.clear()
    tracking = await touch(
        databases,
        org,
        site.domain["domain_id"],
        Visit(noon(d), "v1", channel="Paid Social", source="facebook", campaign="111"),
    )
    await lead_on(databases, org, tracking, "v1", noon(d), stage="won", value="500")
    await refresh(databases, org)
    resolved = await client.post("/api/analytics/alerts/evaluate", headers=site.headers)
    assert resolved.json()["resolved"] == 1
    await drain_jobs(mail_settings, databases, queues=["alerts"])
    subjects = sorted(mail.subject for mail in simulated_outbox().sent)
    assert subjects == [
        f"Alert resolved: {RULE_NAME} — all spend",
        f"Alerta resolvido: {RULE_NAME} — todo o gasto",
    ]
    assert any(f"{d.isoformat()}: 5,00" in m.text for m in simulated_outbox().sent)


async def test_recipients_must_be_members_of_the_organization(client, databases):
    site = await make_site(client, databases)
    other = await make_site(client, databases)
    foreign = await _rule(client, site.headers, [str(other.account.user_id)])
    assert foreign.status_code == 422
    error = foreign.json()["error"]
    assert error["code"] == "unknown_reference"
    assert error["details"]["field"] == "email_recipients.0"
    unknown = await _rule(client, site.headers, [str(uuid.uuid4())])
    assert unknown.status_code == 422
    malformed = await _rule(client, site.headers, ["not-a-uuid"])
    assert malformed.status_code == 422
    too_many = await _rule(client, site.headers, [str(uuid.uuid4()) for _ in range(21)])
    assert too_many.status_code == 422
    rules = (await client.get("/api/analytics/alerts/rules", headers=site.headers)).json()
    assert rules == []


async def test_without_a_sender_the_mail_delivery_fails_and_says_why(client, databases, settings):
    assert settings.mail_sender == "none"
    site = await make_site(client, databases)
    org = site.account.organization_id
    await _spend(databases, org, [local_today() - timedelta(days=1)])
    created = await _rule(client, site.headers, [str(site.account.user_id)])
    assert created.status_code == 201, created.text
    await client.post("/api/analytics/alerts/evaluate", headers=site.headers)
    await drain_jobs(settings, databases, queues=["alerts"])
    [shown] = (await client.get("/api/analytics/alerts/events", headers=site.headers)).json()
    assert [(d["channel"], d["status"], d["error"]) for d in shown["deliveries"]] == [
        ("email", "failed", "No mail sender.")
    ]
