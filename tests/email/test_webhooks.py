"""Provider webhooks: Amazon SES via SNS (signature verified, subscription confirmed) and
Postmark (basic auth), each with valid and invalid credentials; replays stored once; a
hard bounce or complaint suppresses the address, soft bounces after the limit."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest

from rastro.email.service import tokens
from tests.email.conftest import contact_statuses as _statuses
from tests.email.conftest import get, sent_campaign
from tests.email.conftest import message_events as _events
from tests.fakes import postmark
from tests.fakes.sns import FakeSns, ses_bounce, ses_complaint


@pytest.fixture
def sns(app, settings):  # type: ignore[no-untyped-def]
    fake = FakeSns().start()
    original = app.state.settings
    app.state.settings = settings.model_copy(update={"sns_cert_url_pattern": fake.cert_url_pattern})
    app.state.email_ses_webhook = None
    yield fake
    app.state.settings = original
    app.state.email_ses_webhook = None
    fake.stop()


async def test_ses_bounce_and_complaint_verified_applied_once(
    client, org, settings, databases, sns
) -> None:
    sender, messages = await sent_campaign(
        client, org, settings, databases, ["hard@cliente.com.br", "spam@cliente.com.br"]
    )
    url = sender["webhooks"]["ses"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    bounce = sns.notification(
        ses_bounce(recipient="hard@cliente.com.br", mid=messages["hard@cliente.com.br"].message_id)
    )
    for _ in range(2):  # SNS retries: the second delivery adds nothing
        response = await client.post(f"/{path}", content=bounce)
        assert response.status_code == 200, response.text
    complaint = sns.notification(
        ses_complaint(
            recipient="spam@cliente.com.br", mid=messages["spam@cliente.com.br"].message_id
        ),
        version="2",
    )
    assert (await client.post(f"/{path}", content=complaint)).status_code == 200

    events = Counter((e.type, e.subtype, e.source) for e in await _events(databases, org))
    assert events[("bounce", "hard", "ses")] == 1
    assert events[("complaint", None, "ses")] == 1
    statuses = await _statuses(client, org)
    assert statuses == {"hard@cliente.com.br": "bounced", "spam@cliente.com.br": "complained"}
    suppressed = await get(client, org, "/suppressions")
    assert sorted((s["email"], s["reason"]) for s in suppressed["items"]) == [
        ("hard@cliente.com.br", "hard_bounce"),
        ("spam@cliente.com.br", "complaint"),
    ]


async def test_ses_rejects_bad_signatures_and_foreign_certificates(
    client, org, settings, databases, sns
) -> None:
    sender, messages = await sent_campaign(client, org, settings, databases, ["x@cliente.com.br"])
    path = "/" + sender["webhooks"]["ses"].split("://", 1)[1].split("/", 1)[1]
    good = orjson.loads(
        sns.notification(
            ses_bounce(recipient="x@cliente.com.br", mid=messages["x@cliente.com.br"].message_id)
        )
    )
    tampered = {**good, "Message": good["Message"].replace("Permanent", "Transient")}
    foreign_cert = {**good, "SigningCertURL": "https://evil.example.com/cert.pem"}
    bad_encoding = {**good, "Signature": "%%%"}
    for body in (tampered, foreign_cert, bad_encoding, {"Type": "Notification"}):
        response = await client.post(path, content=orjson.dumps(body))
        assert response.status_code == 404, body
        assert response.json()["error"]["code"] == "webhook_rejected"
    assert (await client.post(path, content=b"not json")).status_code == 404
    unknown = await client.post("/e/webhooks/ses/" + "z" * 32, content=orjson.dumps(good))
    assert unknown.status_code == 404
    assert [e.type for e in await _events(databases, org) if e.type == "bounce"] == []
    assert (await _statuses(client, org))["x@cliente.com.br"] == "active"


async def test_ses_subscription_confirmation(client, org, settings, databases, sns) -> None:
    sender, _ = await sent_campaign(client, org, settings, databases, ["y@cliente.com.br"])
    path = "/" + sender["webhooks"]["ses"].split("://", 1)[1].split("/", 1)[1]
    response = await client.post(path, content=sns.subscription_confirmation())
    assert response.status_code == 200
    assert response.json() == {"result": "subscription_confirmed"}
    assert len(sns.confirmed) == 1


async def test_postmark_basic_auth_replays_and_soft_bounce_limit(
    client, org, settings, databases
) -> None:
    sender, messages = await sent_campaign(
        client, org, settings, databases, ["soft@cliente.com.br", "hard@cliente.com.br"]
    )
    token = sender["webhooks"]["postmark"].rsplit("/", 1)[1]
    path = f"/e/webhooks/postmark/{token}"
    auth = postmark.basic_auth(
        "rastro", tokens.webhook_password(settings.secret_key_value, token, "postmark")
    )
    hard = postmark.bounce(
        email="hard@cliente.com.br", mid=messages["hard@cliente.com.br"].message_id
    )
    for headers in ({}, postmark.basic_auth("rastro", "wrong"), {"authorization": "Bearer x"}):
        response = await client.post(path, json=hard, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "webhook_unauthorized"
    for _ in range(2):
        response = await client.post(path, json=hard, headers=auth)
        assert response.status_code == 200
    soft_mid = messages["soft@cliente.com.br"].message_id
    for n in range(settings.email_soft_bounce_limit):
        response = await client.post(
            path,
            json=postmark.bounce(email="soft@cliente.com.br", mid=soft_mid, hard=False),
            headers=auth,
        )
        assert response.json() == {"result": "applied:1"}
        status = (await _statuses(client, org))["soft@cliente.com.br"]
        assert status == ("bounced" if n + 1 == settings.email_soft_bounce_limit else "active")
    bad = await client.post(path, json={"hello": "world"}, headers=auth)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "bad_webhook_payload"

    events = Counter((e.type, e.subtype) for e in await _events(databases, org))
    assert events[("bounce", "hard")] == 1
    assert events[("bounce", "soft")] == settings.email_soft_bounce_limit
    suppressed = await get(client, org, "/suppressions")
    assert sorted((s["email"], s["reason"]) for s in suppressed["items"]) == [
        ("hard@cliente.com.br", "hard_bounce"),
        ("soft@cliente.com.br", "soft_bounces"),
    ]


async def test_sender_webhook_urls_are_for_admins_only(client, org, databases) -> None:
    from tests.auth.factories import auth_headers, make_account

    analyst = await make_account(databases, role="analyst", organization_id=org.id)
    headers = await auth_headers(client, analyst)
    response = await client.get("/api/email/senders", headers=headers)
    assert response.status_code == 403
