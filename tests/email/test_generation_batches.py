"""Generation as one statement per batch: over several batches, the messages are exactly
the eligible contacts and the exclusions by reason equal a recount from the tables; a
generation whose connection is killed mid-batch restarts without duplicates."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from rastro.core.db import Scope
from rastro.email.models import (
    AudienceContact,
    EmailContact,
    Message,
    Suppression,
    Unsubscribe,
)
from rastro.email.service import generation
from rastro.email.service.contacts import set_status
from tests.email.conftest import campaign, contacts, post, static_audience


def _recount(
    members: dict[uuid.UUID, set[uuid.UUID]],
    statuses: dict[uuid.UUID, str],
    suppressed: set[uuid.UUID],
    unsubscribes: list[tuple[uuid.UUID, str, uuid.UUID | None, uuid.UUID | None]],
    campaign_id: uuid.UUID,
) -> dict[uuid.UUID, str | None]:
    """Each candidate's exclusion reason by the module's documented rule (None: eligible)."""
    reasons: dict[uuid.UUID, str | None] = {}
    for contact, reached in members.items():
        status = statuses[contact]
        mine = [(scope, c, a) for who, scope, c, a in unsubscribes if who == contact]
        left = {a for scope, _, a in mine if scope == "list"}
        if contact in suppressed or status == "suppressed":
            reasons[contact] = "suppressed"
        elif status != "active":
            reasons[contact] = status
        elif (
            any(s == "global" or (s == "campaign" and c == campaign_id) for s, c, _ in mine)
            or reached <= left
        ):
            reasons[contact] = "unsubscribed"
        else:
            reasons[contact] = None
    return reasons


async def _audience_of_many(client, org, databases):  # type: ignore[no-untyped-def]
    """47 recipients over a static list, a second list and a tag filter, with every kind
    of exclusion (and combinations: the first reason that applies counts)."""
    emails = [f"r{n:02d}@exemplo.com.br" for n in range(47)]
    await contacts(client, org, emails[:40])
    await contacts(client, org, emails[40:], tags=["vip"])
    ids = {e: uuid.UUID(i) for e, i in (await contacts(client, org, [])).items()}
    main = await static_audience(client, org, [str(ids[e]) for e in emails[:44]])
    second = await static_audience(client, org, [str(ids[e]) for e in emails[30:36]], name="B")
    vip = await post(
        client,
        org,
        "/audiences",
        {"name": "VIP", "kind": "filter", "filter": {"tags_any": ["vip"]}},
    )
    target = await campaign(client, org, [main, second, str(vip["audience_id"])])
    other = await campaign(client, org, [main], name="Outra")
    target_id, other_id = uuid.UUID(target["campaign_id"]), uuid.UUID(other["campaign_id"])
    for n in (1, 2, 41):
        await post(client, org, "/suppressions", {"email": emails[n]})
    scope = Scope.organization(org.id)
    async with databases.crm.transaction(scope) as session:
        for n, status in {
            3: "bounced",
            4: "complained",
            5: "unconfirmed",
            6: "unsubscribed",
        }.items():
            await set_status(session, contact_id=ids[emails[n]], status=status)
        await set_status(session, contact_id=ids[emails[2]], status="bounced")  # and suppressed
        await set_status(session, contact_id=ids[emails[42]], status="suppressed")
        left_main = {"scope": "list", "audience_id": uuid.UUID(main)}
        for n, unsubscribe in [
            (7, {"scope": "global"}),
            (8, {"scope": "campaign", "campaign_id": target_id}),
            (9, {"scope": "campaign", "campaign_id": other_id}),  # another campaign's
            (10, left_main),  # only on the main list: excluded
            (31, left_main),  # also on list B: still reached
            (32, left_main),
            (32, {"scope": "list", "audience_id": uuid.UUID(second)}),  # left both
            (43, left_main),  # on the main list and the filter: still reached
            (3, {"scope": "global"}),  # bounced first
        ]:
            session.add(Unsubscribe(contact_id=ids[emails[n]], source="admin", **unsubscribe))
    return target_id


async def _state(databases, org, campaign_id):  # type: ignore[no-untyped-def]
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        audiences = {
            row[0]
            for row in await session.execute(
                text("SELECT audience_id FROM email_campaign_audiences WHERE campaign_id = :c"),
                {"c": campaign_id},
            )
        }
        members: dict[uuid.UUID, set[uuid.UUID]] = {}
        for contact, audience in await session.execute(
            select(AudienceContact.contact_id, AudienceContact.audience_id)
        ):
            if audience in audiences:
                members.setdefault(contact, set()).add(audience)
        vip = await session.scalar(
            text(
                "SELECT a.audience_id FROM email_audiences a JOIN email_campaign_audiences c"
                " USING (audience_id) WHERE c.campaign_id = :c AND a.kind = 'filter'"
            ),
            {"c": campaign_id},
        )
        for contact, tags in await session.execute(
            select(EmailContact.contact_id, EmailContact.tags)
        ):
            if "vip" in tags:
                members.setdefault(contact, set()).add(vip)
        statuses = dict(
            (await session.execute(select(EmailContact.contact_id, EmailContact.status))).all()
        )
        suppressed = set(await session.scalars(select(Suppression.contact_id)))
        unsubscribes = [
            tuple(row)
            for row in await session.execute(
                select(
                    Unsubscribe.contact_id,
                    Unsubscribe.scope,
                    Unsubscribe.campaign_id,
                    Unsubscribe.audience_id,
                )
            )
        ]
        messages = list(
            await session.scalars(
                select(Message.contact_id).where(Message.campaign_id == campaign_id)
            )
        )
        found = await session.execute(
            text(
                "SELECT generated, exclusions, generation_status FROM email_campaigns"
                " WHERE campaign_id = :c"
            ),
            {"c": campaign_id},
        )
        generated, exclusions, status = found.one()
    reasons = _recount(members, statuses, suppressed, unsubscribes, campaign_id)  # type: ignore[arg-type]
    return reasons, messages, generated, exclusions, status


def _expect(reasons: dict[uuid.UUID, str | None]) -> dict[str, int]:
    counts = Counter(r for r in reasons.values() if r is not None)
    return {reason: counts.get(reason, 0) for reason in generation.EXCLUSION_REASONS}


async def test_batches_generate_the_eligible_and_count_exclusions_as_a_recount(
    client, org, databases
) -> None:
    campaign_id = await _audience_of_many(client, org, databases)
    await post(client, org, f"/campaigns/{campaign_id}/generate")
    scope = Scope.organization(org.id)
    batches, more = 0, True
    while more:
        async with databases.crm.transaction(scope) as session:
            more = await generation.generate_batch(session, campaign_id=campaign_id, batch_size=6)
        batches += 1
    assert batches == 8  # 47 candidates in batches of 6

    reasons, messages, generated, exclusions, status = await _state(databases, org, campaign_id)
    assert len(reasons) == 47
    assert status == "done"
    assert exclusions == _expect(reasons)
    # Every kind of exclusion occurs (the test covers each branch of the rule).
    assert all(exclusions[r] for r in generation.EXCLUSION_REASONS)
    assert exclusions["unsubscribed"] == 5  # global, this campaign, marked, main only, both lists
    assert sorted(messages) == sorted(c for c, r in reasons.items() if r is None)
    assert generated == len(messages) == 47 - sum(exclusions.values())


async def test_a_generation_killed_mid_batch_restarts_without_duplicates(
    client, org, databases
) -> None:
    campaign_id = await _audience_of_many(client, org, databases)
    await post(client, org, f"/campaigns/{campaign_id}/generate")
    scope = Scope.organization(org.id)
    async with databases.crm.transaction(scope) as session:
        assert await generation.generate_batch(session, campaign_id=campaign_id, batch_size=10)
    # The second batch's statement ran (its messages inserted, not committed) when the
    # worker's connection was killed: the commit fails and nothing of it stays.
    session = databases.crm.session(scope)
    try:
        assert await generation.generate_batch(session, campaign_id=campaign_id, batch_size=10)
        pid = await session.scalar(text("SELECT pg_backend_pid()"))
        async with databases.crm.engine.connect() as other:
            await other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        with pytest.raises(Exception):  # noqa: B017 - the driver's "connection lost"
            await session.commit()
    finally:
        await session.close()
    async with databases.crm.transaction(scope) as session:
        count = await session.scalar(
            select(func.count()).select_from(Message).where(Message.campaign_id == campaign_id)
        )
    assert count <= 10  # the first batch's messages only
    more = True
    while more:
        async with databases.crm.transaction(scope) as session:
            more = await generation.generate_batch(session, campaign_id=campaign_id, batch_size=10)
    reasons, messages, generated, exclusions, status = await _state(databases, org, campaign_id)
    assert status == "done"
    assert len(messages) == len(set(messages)) == generated
    assert sorted(messages) == sorted(c for c, r in reasons.items() if r is None)
    assert exclusions == _expect(reasons)
