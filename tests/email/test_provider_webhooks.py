"""SendGrid (Signed Event Webhook, ECDSA P-256) and Mailgun (HMAC-SHA256, one-time token)
webhooks: every event type mapped to ours, valid and invalid signatures, stale
timestamps, replays stored once (a reused Mailgun token refused), keys from the vault;
soft bounces suppress after the organization's own limit."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from tests.email.conftest import Org, contact_statuses, get, message_events, sent_campaign
from tests.fakes import mailgun, sendgrid

SIGNING_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"


async def _vault(client, org: Org, service: str, key: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/api/credentials",
        json={"name": service, "service": service, "api_key": key},
        headers=org.headers,
    )
    assert response.status_code == 201, response.text


def _path(sender: dict[str, Any], provider: str) -> str:
    return "/" + sender["webhooks"][provider].split("://", 1)[1].split("/", 1)[1]


async def _suppressed(client, org: Org) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    page = await get(client, org, "/suppressions")
    return sorted((s["email"], s["reason"]) for s in page["items"])


async def test_sendgrid_events_mapped_verified_and_stored_once(
    client, org, settings, databases
) -> None:
    emails = [f"{name}@cliente.com.br" for name in ("ok", "hard", "soft", "spam", "bye", "drop")]
    sender, messages = await sent_campaign(client, org, settings, databases, emails)
    signer = sendgrid.SendGridSigner()
    await _vault(client, org, "sendgrid_webhook", signer.verification_key)
    path = _path(sender, "sendgrid")
    assert path.startswith("/e/webhooks/sendgrid/")

    def ev(kind: str, who: str, **fields: Any) -> dict[str, Any]:
        address = f"{who}@cliente.com.br"
        return sendgrid.event(kind, email=address, mid=messages[address].message_id, **fields)

    events = [
        ev("processed", "ok"),
        ev("delivered", "ok", response="250 OK"),
        ev("open", "ok", sg_machine_open=True, useragent="Mozilla/5.0"),
        ev("open", "ok", sg_machine_open=False),
        ev("click", "ok", url="https://loja.com.br/oferta?cupom=X"),
        ev("click", "ok", url="http://127.0.0.1:8000/e/c/abcdefghijklmnop"),  # our redirect
        ev("deferred", "soft", response="421 try later"),
        ev("bounce", "hard", type="bounce", status="5.1.1", reason="550 5.1.1 No such user"),
        ev("bounce", "soft", type="blocked", status="4.7.1", reason="421 rate limited"),
        ev("spamreport", "spam"),
        ev("group_unsubscribe", "bye", asm_group_id=7),
        ev("dropped", "drop", reason="Invalid"),
    ]
    body, headers = signer.post(events)
    for _ in range(2):  # SendGrid retries: the second delivery adds nothing
        response = await client.post(path, content=body, headers=headers)
        assert response.status_code == 200, response.text
    assert response.json() == {"result": "applied:0"}

    found = Counter(
        (e.type, e.subtype, e.is_machine, e.source) for e in await message_events(databases, org)
    )
    assert found[("delivered", None, False, "sendgrid")] == 1
    assert found[("open", "provider_flag", True, "sendgrid")] == 1
    assert found[("open", None, False, "sendgrid")] == 1
    assert found[("click", None, False, "sendgrid")] == 1  # ours not counted twice
    assert found[("bounce", "hard", False, "sendgrid")] == 2  # the bounce and the drop
    assert found[("bounce", "soft", False, "sendgrid")] == 1
    assert found[("complaint", None, False, "sendgrid")] == 1
    assert found[("unsubscribe", "global", False, "sendgrid")] == 1
    clicks = [e for e in await message_events(databases, org) if e.source == "sendgrid"]
    assert [e.link_id is not None for e in clicks if e.type == "click"] == [True]
    diagnostics = {e.detail.get("diagnostic") for e in clicks if e.type == "bounce"}
    assert diagnostics == {
        "5.1.1 550 5.1.1 No such user",
        "4.7.1 421 rate limited",
        "dropped: Invalid",
    }

    statuses = await contact_statuses(client, org)
    assert statuses == {
        "ok@cliente.com.br": "active",
        "hard@cliente.com.br": "bounced",
        "soft@cliente.com.br": "active",
        "spam@cliente.com.br": "complained",
        "bye@cliente.com.br": "unsubscribed",
        "drop@cliente.com.br": "bounced",
    }
    assert await _suppressed(client, org) == [
        ("drop@cliente.com.br", "hard_bounce"),
        ("hard@cliente.com.br", "hard_bounce"),
        ("spam@cliente.com.br", "complaint"),
    ]


async def test_sendgrid_refuses_bad_signatures_stale_timestamps_and_missing_keys(
    client, org, settings, databases
) -> None:
    sender, messages = await sent_campaign(client, org, settings, databases, ["x@cliente.com.br"])
    path = _path(sender, "sendgrid")
    signer = sendgrid.SendGridSigner()
    mid = messages["x@cliente.com.br"].message_id
    events = [sendgrid.event("bounce", email="x@cliente.com.br", mid=mid, type="bounce")]
    body, headers = signer.post(events)
    # No verification key in the vault yet: the endpoint answers like an unknown one.
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "webhook_rejected"

    await _vault(client, org, "sendgrid_webhook", signer.verification_key)
    impostor = sendgrid.SendGridSigner()
    forged_body, forged = impostor.post(events)
    stale_body, stale = signer.post(events, timestamp=int(time.time()) - 3600)
    tampered = body.replace(b'"bounce"', b'"delivered"', 1)
    cases = [
        (forged_body, forged),  # signed with another key
        (stale_body, stale),  # a captured request replayed an hour later
        (tampered, headers),  # body changed after signing
        (body, {**headers, "x-twilio-email-event-webhook-timestamp": str(int(time.time()) + 1)}),
        (body, {**headers, "x-twilio-email-event-webhook-signature": "%%%not-base64"}),
        (body, {"content-type": "application/json"}),  # unsigned
    ]
    for content, sent_headers in cases:
        response = await client.post(path, content=content, headers=sent_headers)
        assert response.status_code == 404, (response.text, sent_headers)
        assert response.json()["error"]["code"] == "webhook_rejected"
    unknown = await client.post("/e/webhooks/sendgrid/" + "z" * 32, content=body, headers=headers)
    assert unknown.status_code == 404
    # Signed but not SendGrid's shape: 422.
    odd_body, odd = signer.post([{"no": "event"}])  # type: ignore[list-item]
    bad = await client.post(path, content=odd_body, headers=odd)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "bad_webhook_payload"
    assert [e for e in await message_events(databases, org) if e.type == "bounce"] == []
    assert (await contact_statuses(client, org))["x@cliente.com.br"] == "active"
    # The genuine one goes through.
    response = await client.post(path, content=body, headers=headers)
    assert response.json() == {"result": "applied:1"}


async def test_mailgun_events_signature_replay_and_stale(client, org, settings, databases) -> None:
    emails = [f"{name}@cliente.com.br" for name in ("ok", "hard", "spam", "bye")]
    sender, messages = await sent_campaign(client, org, settings, databases, emails)
    path = _path(sender, "mailgun")

    def mid(who: str):  # type: ignore[no-untyped-def]
        return messages[f"{who}@cliente.com.br"].message_id

    delivered = mailgun.signed(
        SIGNING_KEY, mailgun.event("delivered", email="ok@cliente.com.br", mid=mid("ok"))
    )
    unconfigured = await client.post(path, json=delivered)
    assert unconfigured.status_code == 404  # no signing key in the vault yet
    await _vault(client, org, "mailgun_webhook", SIGNING_KEY)

    bodies = [
        delivered,
        mailgun.signed(
            SIGNING_KEY, mailgun.event("opened", email="ok@cliente.com.br", mid=mid("ok"))
        ),
        mailgun.signed(
            SIGNING_KEY,
            mailgun.event(
                "clicked", email="ok@cliente.com.br", mid=mid("ok"), url="https://loja.com.br/blog"
            ),
        ),
        mailgun.signed(
            SIGNING_KEY,
            mailgun.failed(email="hard@cliente.com.br", mid=mid("hard"), permanent=True),
        ),
        mailgun.signed(
            SIGNING_KEY, mailgun.event("complained", email="spam@cliente.com.br", mid=mid("spam"))
        ),
        mailgun.signed(
            SIGNING_KEY, mailgun.event("unsubscribed", email="bye@cliente.com.br", mid=mid("bye"))
        ),
        mailgun.signed(
            SIGNING_KEY, mailgun.event("accepted", email="ok@cliente.com.br", mid=mid("ok"))
        ),
    ]
    results = []
    for body in bodies:
        response = await client.post(path, json=body)
        assert response.status_code == 200, response.text
        results.append(response.json()["result"])
    assert results == ["applied:1"] * 6 + ["applied:0"]

    # The same delivery again (same token): refused, nothing stored twice.
    replay = await client.post(path, json=bodies[3])
    assert replay.status_code == 406
    assert replay.json()["error"]["code"] == "webhook_replayed"
    # A new token over the same event: accepted, but the event is stored once.
    again = mailgun.signed(SIGNING_KEY, bodies[3]["event-data"])
    assert (await client.post(path, json=again)).json() == {"result": "applied:0"}

    hard_event = mailgun.failed(email="ok@cliente.com.br", mid=mid("ok"), permanent=True)
    forged = mailgun.signed("key-not-the-right-one", hard_event)
    stale = mailgun.signed(SIGNING_KEY, hard_event, timestamp=int(time.time()) - 3600)
    future = mailgun.signed(SIGNING_KEY, hard_event, timestamp=int(time.time()) + 3600)
    swapped = mailgun.signed(SIGNING_KEY, hard_event)
    swapped["signature"]["token"] = "another-token-" + "x" * 36
    unsigned = {"event-data": hard_event}
    for body in (forged, stale, future, swapped, unsigned):
        response = await client.post(path, json=body)
        assert response.status_code == 404, body.get("signature", body)
        assert response.json()["error"]["code"] == "webhook_rejected"
    not_json = await client.post(path, content=b"token=x&signature=y")
    assert not_json.status_code == 422
    no_event = await client.post(path, json={**mailgun.signed(SIGNING_KEY, {}), "event-data": 3})
    assert no_event.status_code == 422

    found = Counter((e.type, e.subtype, e.source) for e in await message_events(databases, org))
    assert found[("delivered", None, "mailgun")] == 1
    assert found[("open", None, "mailgun")] == 1
    assert found[("click", None, "mailgun")] == 1
    assert found[("bounce", "hard", "mailgun")] == 1
    assert found[("complaint", None, "mailgun")] == 1
    assert found[("unsubscribe", "global", "mailgun")] == 1
    hard = [e for e in await message_events(databases, org) if e.type == "bounce"]
    assert hard[0].detail == {"diagnostic": "550 5.1.1 No such user"}
    assert await contact_statuses(client, org) == {
        "ok@cliente.com.br": "active",
        "hard@cliente.com.br": "bounced",
        "spam@cliente.com.br": "complained",
        "bye@cliente.com.br": "unsubscribed",
    }


async def test_soft_bounces_suppress_after_the_organizations_limit(
    client, org, other_org, settings, databases
) -> None:
    assert await get(client, org, "/settings") == {
        "soft_bounce_limit": None,
        "default_soft_bounce_limit": settings.email_soft_bounce_limit,
        "effective_soft_bounce_limit": settings.email_soft_bounce_limit,
    }
    for wrong in (
        {"soft_bounce_limit": 0},
        {"soft_bounce_limit": 101},
        {},
        {"soft_bounce_limit": "x"},
    ):
        response = await client.put("/api/email/settings", json=wrong, headers=org.headers)
        assert response.status_code == 422, wrong
    response = await client.put(
        "/api/email/settings", json={"soft_bounce_limit": 1}, headers=org.headers
    )
    assert response.json()["soft_bounce_limit"] == 1
    response = await client.put(  # a second change updates the same row
        "/api/email/settings", json={"soft_bounce_limit": 2}, headers=org.headers
    )
    assert response.status_code == 200
    assert response.json()["effective_soft_bounce_limit"] == 2
    other = await get(client, other_org, "/settings")
    assert other["soft_bounce_limit"] is None  # one organization's setting only

    for owner in (org, other_org):
        await _vault(client, owner, "mailgun_webhook", SIGNING_KEY)
    limit_default = settings.email_soft_bounce_limit
    assert limit_default > 2
    for owner in (org, other_org):
        sender, messages = await sent_campaign(
            client, owner, settings, databases, ["full@cliente.com.br"]
        )
        path = _path(sender, "mailgun")
        mid = messages["full@cliente.com.br"].message_id
        statuses = []
        for _ in range(2):
            body = mailgun.signed(
                SIGNING_KEY, mailgun.failed(email="full@cliente.com.br", mid=mid, permanent=False)
            )
            assert (await client.post(path, json=body)).json() == {"result": "applied:1"}
            statuses.append((await contact_statuses(client, owner))["full@cliente.com.br"])
        # Our organization's limit is 2; the other follows the server default (3).
        assert statuses == (["active", "bounced"] if owner is org else ["active", "active"])
    assert await _suppressed(client, org) == [("full@cliente.com.br", "soft_bounces")]
    assert await _suppressed(client, other_org) == []

    cleared = await client.put(
        "/api/email/settings", json={"soft_bounce_limit": None}, headers=org.headers
    )
    assert cleared.json()["effective_soft_bounce_limit"] == limit_default


async def test_provider_notice_for_another_organizations_message_is_ignored(
    client, org, other_org, settings, databases
) -> None:
    _, theirs = await sent_campaign(client, other_org, settings, databases, ["t@cliente.com.br"])
    sender, _ = await sent_campaign(client, org, settings, databases, ["m@cliente.com.br"])
    await _vault(client, org, "mailgun_webhook", SIGNING_KEY)
    body = mailgun.signed(
        SIGNING_KEY,
        mailgun.failed(
            email="t@cliente.com.br", mid=theirs["t@cliente.com.br"].message_id, permanent=True
        ),
    )
    response = await client.post(_path(sender, "mailgun"), json=body)
    assert response.json() == {"result": "applied:0"}
    assert (await contact_statuses(client, other_org))["t@cliente.com.br"] == "active"
