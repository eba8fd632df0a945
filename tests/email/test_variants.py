"""A/B subject variants: the sample split evenly and the rest held, the winner chosen by
the job from human opens or clicks and sent to the rest, the report per variant; and a
campaign's preview and test send, which create no message and count in no report."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text, update

from rastro.core.db import Scope
from rastro.email.models import Message
from rastro.email.senders.base import OutgoingMail, SendResult
from rastro.email.senders.simulated import SimulatedSender
from rastro.email.service import ab_winner
from tests.email.conftest import campaign, contacts, get, post, static_audience
from tests.helpers import drain_jobs

SUBJECTS = ["Oferta A", "Oferta B para {{ first_name }}", "Oferta C"]


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> list[OutgoingMail]:
    sent: list[OutgoingMail] = []

    async def send(self: SimulatedSender, mails: list[OutgoingMail]) -> list[SendResult]:
        sent.extend(mails)
        return [SendResult(m.message_id, "sent") for m in mails]

    monkeypatch.setattr(SimulatedSender, "send", send)
    return sent


async def _messages(databases: Any, org: Any, campaign_id: str) -> list[Message]:
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        return list(
            await session.scalars(
                select(Message).where(Message.campaign_id == uuid.UUID(campaign_id))
            )
        )


async def test_sample_gets_the_variants_evenly_and_the_winner_goes_to_the_rest(
    client, org, settings, databases, outbox
) -> None:
    emails = [f"p{n:02d}@exemplo.com.br" for n in range(40)]
    ids = await contacts(client, org, emails, name="Ana Souza")
    created = await campaign(client, org, [await static_audience(client, org, list(ids.values()))])
    campaign_id = created["campaign_id"]
    test = {"subjects": SUBJECTS, "sample_percent": 30, "metric": "clicks", "wait_minutes": 60}
    response = await client.put(
        f"/api/email/campaigns/{campaign_id}/ab-test", headers=org.headers, json=test
    )
    assert response.status_code == 200, response.text
    assert [v["subject"] for v in response.json()["variants"]] == SUBJECTS
    assert (await get(client, org, f"/campaigns/{campaign_id}"))["subject_variants"] == SUBJECTS
    await post(client, org, f"/campaigns/{campaign_id}/send")
    await drain_jobs(settings, databases, queues=["email"])

    messages = await _messages(databases, org, campaign_id)
    by_status = Counter(m.status for m in messages)
    assert by_status == {"sent": 12, "held": 28}  # ceil(30 % of 40)
    assert Counter(m.variant for m in messages if m.status == "sent") == {0: 4, 1: 4, 2: 4}
    assert {m.variant for m in messages if m.status == "held"} == {None}
    assert Counter(mail.subject for mail in outbox) == {
        "Oferta A": 4,
        "Oferta B para Ana": 4,
        "Oferta C": 4,
    }
    assert (await get(client, org, f"/campaigns/{campaign_id}"))["status"] == "sending"
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        job = (
            await session.execute(
                text(
                    "SELECT scheduled_at FROM procrastinate_jobs "
                    "WHERE task_name = 'email:choose_ab_winner' AND status = 'todo'"
                )
            )
        ).all()
    assert len(job) == 1
    minutes = (job[0][0] - datetime.now(UTC)).total_seconds() / 60
    assert 55 < minutes <= 60  # an hour after the sample was sent

    # Variant C gets two clicks, B one click and more opens: by clicks, C wins.
    sent_by_variant: dict[int, list[uuid.UUID]] = {}
    for m in messages:
        if m.status == "sent" and m.variant is not None:
            sent_by_variant.setdefault(m.variant, []).append(m.message_id)
    now = datetime.now(UTC)
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        for variant, count, column in ((2, 2, "first_clicked_at"), (1, 1, "first_clicked_at")):
            await session.execute(
                update(Message)
                .where(Message.message_id.in_(sent_by_variant[variant][:count]))
                .values({column: now})
            )
        await session.execute(
            update(Message)
            .where(Message.message_id.in_(sent_by_variant[1]))
            .values(first_opened_at=now)
        )
        assert await ab_winner.choose_winner(session, campaign_id=uuid.UUID(campaign_id)) == 2
        # Deciding again changes nothing.
        assert await ab_winner.choose_winner(session, campaign_id=uuid.UUID(campaign_id)) == 2
    outbox.clear()
    await drain_jobs(settings, databases, queues=["email"])
    assert [mail.subject for mail in outbox] == ["Oferta C"] * 28
    done = await get(client, org, f"/campaigns/{campaign_id}")
    assert (done["status"], done["ab_winner"]) == ("sent", 2)

    report = await get(client, org, f"/campaigns/{campaign_id}/ab-test")
    assert report["winner"] == 2
    assert report["held"] == 0
    assert [
        (v["subject"], v["sent"], v["opens"], v["clicks"], v["winner"]) for v in report["variants"]
    ] == [
        ("Oferta A", 4, 0, 0, False),
        ("Oferta B para {{ first_name }}", 4, 4, 1, False),
        ("Oferta C", 4, 0, 2, True),
    ]
    assert report["variants"][2]["click_rate"] == 0.5


def test_pick_uses_the_metric_rates_and_breaks_ties_by_order() -> None:
    counts = {0: (10, 10, 5, 1), 1: (10, 5, 3, 2), 2: (10, 10, 5, 1)}
    assert ab_winner.pick(counts, variants_count=3, metric="opens") == 1  # 3/5 > 5/10
    assert ab_winner.pick(counts, variants_count=3, metric="clicks") == 1
    assert ab_winner.pick({0: (1, 1, 1, 0), 1: (1, 1, 1, 0)}, variants_count=2, metric="opens") == 0
    assert ab_winner.pick({}, variants_count=4, metric="clicks") == 0


async def test_ab_test_is_checked_and_frozen_once_generated(client, org, other_org) -> None:
    ids = await contacts(client, org, ["a@exemplo.com.br"])
    created = await campaign(client, org, [await static_audience(client, org, list(ids.values()))])
    path = f"/api/email/campaigns/{created['campaign_id']}/ab-test"
    for bad in (
        {"subjects": ["Só um"]},
        {"subjects": ["A", "B", "C", "D", "E"]},
        {"subjects": ["A", "A"]},
        {"subjects": ["A", "B"], "sample_percent": 0},
        {"subjects": ["A", "B"], "metric": "revenue"},
    ):
        assert (await client.put(path, headers=org.headers, json=bad)).status_code == 422, bad
    good = {"subjects": ["A", "B"]}
    assert (await client.put(path, headers=other_org.headers, json=good)).status_code == 404
    assert (await client.put(path, headers=org.headers, json=good)).status_code == 200
    removed = await client.delete(path, headers=org.headers)
    assert removed.json()["variants"] == []
    assert (await client.put(path, headers=org.headers, json=good)).status_code == 200
    await post(client, org, f"/campaigns/{created['campaign_id']}/generate")
    assert (await client.put(path, headers=org.headers, json=good)).status_code == 409
    assert (await client.delete(path, headers=org.headers)).status_code == 409


async def test_preview_and_test_send_count_nowhere(
    client, org, other_org, settings, databases, outbox
) -> None:
    ids = await contacts(
        client, org, ["bia@exemplo.com.br"], name="Bia <i>Lima</i>", attributes={"plano": "Ouro"}
    )
    created = await campaign(
        client,
        org,
        [await static_audience(client, org, list(ids.values()))],
        html="<html><body><p>Olá {{ name }}, plano {{ attributes.plano }}</p>"
        '<a href="https://loja.com.br/oferta">Comprar</a></body></html>',
    )
    base = f"/campaigns/{created['campaign_id']}"
    example = await post(client, org, f"{base}/preview", {})
    assert example["subject"] == "Oferta para Maria"
    assert "Olá Maria Silva, plano </p>" in example["html"]
    mine = await post(client, org, f"{base}/preview", {"contact_id": ids["bia@exemplo.com.br"]})
    assert "Olá Bia &lt;i&gt;Lima&lt;/i&gt;, plano Ouro" in mine["html"]
    assert mine["subject"] == "Oferta para Bia"
    foreign = (await contacts(client, other_org, ["x@outra.com.br"]))["x@outra.com.br"]
    refused = await client.post(
        f"/api/email{base}/preview", headers=org.headers, json={"contact_id": foreign}
    )
    assert refused.status_code == 422
    no_variant = await client.post(
        f"/api/email{base}/preview", headers=org.headers, json={"variant": 1}
    )
    assert no_variant.status_code == 422

    sent = await post(
        client,
        org,
        f"{base}/test-send",
        {"email": "Revisor@Loja.com.br", "contact_id": ids["bia@exemplo.com.br"]},
    )
    assert sent == {"outcome": "sent", "error": None}
    assert len(outbox) == 1
    mail = outbox[0]
    assert mail.to == "revisor@loja.com.br"
    assert mail.headers == {"X-Rastro-Test": "1"}
    assert 'href="https://loja.com.br/oferta"' in mail.html  # not a tracking link
    assert "/e/o/" not in mail.html  # no open pixel
    bad = await client.post(f"/api/email{base}/test-send", headers=org.headers, json={"email": "x"})
    assert bad.status_code == 422
    assert await _messages(databases, org, created["campaign_id"]) == []
    report = await get(client, org, f"{base}/report")
    assert (report["sent"], report["generated"]) == (0, 0)
    other = await client.post(
        f"/api/email{base}/test-send", headers=other_org.headers, json={"email": "a@b.com.br"}
    )
    assert other.status_code == 404
