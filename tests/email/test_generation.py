"""Generation: one message per eligible contact, every exclusion counted by reason before
generation, generated once, restartable without duplicates."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from rastro.core.db import Scope
from rastro.email.models import Message, Unsubscribe
from rastro.email.service import generation
from tests.email.conftest import campaign, contacts, get, post, static_audience
from tests.helpers import drain_jobs


async def test_generation_excludes_every_scope_and_counts_reasons(
    client, org, settings, databases
) -> None:
    ids = await contacts(
        client,
        org,
        [
            f"{name}@exemplo.com.br"
            for name in ("ana", "bia", "caio", "duda", "eva", "fabi", "gil", "hugo", "iris")
        ],
    )
    await contacts(client, org, ["novo@exemplo.com.br"], status="unconfirmed")
    ids = await contacts(client, org, [])
    main = await static_audience(client, org, list(ids.values()))
    other_list = await static_audience(client, org, [ids["iris@exemplo.com.br"]], name="VIP")
    sent = await campaign(client, org, [main, other_list])
    earlier = await campaign(client, org, [main], name="Outra")
    await post(client, org, "/suppressions", {"email": "bia@exemplo.com.br"})
    scope = Scope.organization(org.id)
    async with databases.crm.transaction(scope) as session:
        for address, unsubscribe in {
            "caio@exemplo.com.br": {"scope": "global"},
            "duda@exemplo.com.br": {
                "scope": "campaign",
                "campaign_id": uuid.UUID(sent["campaign_id"]),
            },
            # Another campaign: does not apply to this one.
            "eva@exemplo.com.br": {
                "scope": "campaign",
                "campaign_id": uuid.UUID(earlier["campaign_id"]),
            },
            # Left the main list: excluded (it reaches them through that list only).
            "fabi@exemplo.com.br": {"scope": "list", "audience_id": uuid.UUID(main)},
            # Left the main list but is on the VIP list too: still reached.
            "iris@exemplo.com.br": {"scope": "list", "audience_id": uuid.UUID(main)},
        }.items():
            session.add(
                Unsubscribe(contact_id=uuid.UUID(ids[address]), source="admin", **unsubscribe)
            )
    # Bounced and complained addresses come from provider webhooks; set them directly.
    from rastro.email.service.contacts import set_status

    async with databases.crm.transaction(scope) as session:
        await set_status(session, contact_id=uuid.UUID(ids["gil@exemplo.com.br"]), status="bounced")
        await set_status(
            session, contact_id=uuid.UUID(ids["hugo@exemplo.com.br"]), status="complained"
        )

    queued = await post(client, org, f"/campaigns/{sent['campaign_id']}/generate")
    assert queued["generation_status"] == "queued"
    await drain_jobs(settings, databases, queues=["email"])

    done = await get(client, org, f"/campaigns/{sent['campaign_id']}")
    assert done["generation_status"] == "done"
    assert done["exclusions"] == {
        "suppressed": 1,
        "bounced": 1,
        "complained": 1,
        "unconfirmed": 1,
        "unsubscribed": 3,  # global, this campaign, the only list
    }
    assert done["generated"] == 3  # ana, eva, iris
    async with databases.crm.transaction(scope) as session:
        recipients = set(
            await session.scalars(
                select(Message.contact_id).where(
                    Message.campaign_id == uuid.UUID(sent["campaign_id"])
                )
            )
        )
    assert recipients == {
        uuid.UUID(ids[a])
        for a in ("ana@exemplo.com.br", "eva@exemplo.com.br", "iris@exemplo.com.br")
    }

    again = await client.post(
        f"/api/email/campaigns/{sent['campaign_id']}/generate", headers=org.headers
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


async def test_generation_restarts_without_duplicates(client, org, databases) -> None:
    ids = await contacts(client, org, [f"p{n}@exemplo.com.br" for n in range(7)])
    audience = await static_audience(client, org, list(ids.values()))
    created = await campaign(client, org, [audience])
    campaign_id = uuid.UUID(created["campaign_id"])
    await post(client, org, f"/campaigns/{campaign_id}/generate")
    scope = Scope.organization(org.id)
    async with databases.crm.transaction(scope) as session:
        assert await generation.generate_batch(session, campaign_id=campaign_id, batch_size=3)
    # A worker dies in the middle of the second batch: its transaction rolls back.
    session = databases.crm.session(scope)
    try:
        await generation.generate_batch(session, campaign_id=campaign_id, batch_size=3)
        await session.rollback()
    finally:
        await session.close()
    more = True
    while more:
        async with databases.crm.transaction(scope) as session:
            more = await generation.generate_batch(session, campaign_id=campaign_id, batch_size=3)
    async with databases.crm.transaction(scope) as session:
        count = await session.scalar(
            select(func.count()).select_from(Message).where(Message.campaign_id == campaign_id)
        )
    assert count == 7
    done = await get(client, org, f"/campaigns/{campaign_id}")
    assert (done["generated"], done["generation_status"]) == (7, "done")
    assert sum(done["exclusions"].values()) == 0


async def test_campaign_refuses_foreign_and_unknown_references(client, org, other_org) -> None:
    foreign = await static_audience(client, other_org, [])
    response = await client.post(
        "/api/email/campaigns",
        json={
            "name": "X",
            "subject": "S",
            "from_name": "Loja",
            "from_address": "news@loja.com.br",
            "html": "<p>x</p>",
            "audience_ids": [foreign],
        },
        headers=org.headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_reference"
    empty = await campaign(client, org, [])
    response = await client.post(
        f"/api/email/campaigns/{empty['campaign_id']}/generate", headers=org.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "campaign_not_ready"
    response = await client.get(
        f"/api/email/campaigns/{empty['campaign_id']}", headers=other_org.headers
    )
    assert response.status_code == 404


async def test_import_reports_bad_rows_and_duplicates(client, org) -> None:
    result = await post(
        client,
        org,
        "/contacts/import",
        {
            "contacts": [
                {"email": "Ana.Silva@Example.ORG", "name": "Ana", "tags": ["vip"]},
                {"email": "ana.silva@example.org"},
                {"email": "not-an-address"},
                {"email": "+promo@gmail.com"},
            ]
        },
    )
    assert (result["created"], result["duplicates"]) == (1, 1)
    assert [error["row"] for error in result["errors"]] == [3, 4]
    page = await get(client, org, "/contacts")
    assert [item["email"] for item in page["items"]] == ["ana.silva@example.org"]
