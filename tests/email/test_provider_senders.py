"""The provider API senders (Amazon SES, SendGrid, Postmark, Mailgun) against local fakes
that validate authentication, signatures and bodies like the real APIs: what is sent
carries our id where each provider's webhooks echo it and the one-click unsubscribe
headers; 429/5xx are retried, other 4xx fail with the provider's code and no address."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from rastro.core.http import RetryPolicy
from rastro.email.providers import postmark as postmark_hooks
from rastro.email.providers import sendgrid as sendgrid_hooks
from rastro.email.senders import sigv4
from rastro.email.senders.base import OutgoingMail
from rastro.email.senders.mailgun import MailgunSender
from rastro.email.senders.postmark import PostmarkSender
from rastro.email.senders.sendgrid import SendGridSender
from rastro.email.senders.ses import SesSender
from rastro.email.senders.sigv4 import AwsCredentials
from tests.fakes.base import Scripted
from tests.fakes.mail_apis import FakeMailgun, FakePostmark, FakeSendGrid, FakeSes
from tests.fakes.postmark import bounce as postmark_bounce
from tests.fakes.sendgrid import SendGridSigner
from tests.fakes.sendgrid import event as sendgrid_event

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
UNSUB = "https://rastro.example/e/u/tok"


def mail(to: str = "ana@cliente.com.br") -> OutgoingMail:
    return OutgoingMail(
        message_id=uuid.uuid4(),
        to=to,
        from_name="Loja",
        from_address="news@loja.com.br",
        reply_to="sac@loja.com.br",
        subject="Oferta",
        html="<p>Olá</p>",
        text="Olá",
        unsubscribe_url=UNSUB,
        unsubscribe_mailto="mailto:unsub@loja.com.br",
    )


def _started(fake):  # type: ignore[no-untyped-def]
    fake.server.start()
    return fake


@pytest.fixture
def ses() -> Iterator[FakeSes]:
    fake = _started(FakeSes("AKIDTESTKEY", "s3cr3t/key+value"))
    yield fake
    fake.server.stop()


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    fake = _started(FakeSendGrid("SG.key"))
    yield fake
    fake.server.stop()


@pytest.fixture
def postmark() -> Iterator[FakePostmark]:
    fake = _started(FakePostmark("pm-token"))
    yield fake
    fake.server.stop()


@pytest.fixture
def mailgun() -> Iterator[FakeMailgun]:
    fake = _started(FakeMailgun("mg-key", "mg.loja.com.br"))
    yield fake
    fake.server.stop()


def ses_sender(fake: FakeSes, secret: str = "s3cr3t/key+value") -> SesSender:
    return SesSender(
        AwsCredentials("AKIDTESTKEY", secret),
        region="sa-east-1",
        base_url=fake.server.url,
        configuration_set="rastro",
        retry=FAST,
        rate_per_second=1000,
    )


async def test_ses_signs_and_sends_the_raw_message(ses: FakeSes) -> None:
    first, second = mail(), mail("bia@cliente.com.br")
    results = await ses_sender(ses).send([first, second])
    assert [r.outcome for r in results] == ["sent", "sent"]
    assert all(r.provider_message_id and r.provider_message_id.startswith("0100") for r in results)
    sent = {m["mime"]["X-Rastro-Mid"]: m for m in ses.accepted}
    got = sent[str(first.message_id)]
    assert got["mime"]["List-Unsubscribe"] == f"<{UNSUB}>, <mailto:unsub@loja.com.br>"
    assert got["mime"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got["body"]["EmailTags"] == [{"Name": "rastro_mid", "Value": str(first.message_id)}]
    assert got["body"]["ConfigurationSetName"] == "rastro"


async def test_ses_wrong_secret_fails_with_aws_error_code(ses: FakeSes) -> None:
    [result] = await ses_sender(ses, secret="wrong").send([mail()])
    assert (result.outcome, result.error) == ("failed", "ses_SignatureDoesNotMatch")
    [rejected] = await ses_sender(ses).send([mail("rejected.x@cliente.com.br")])
    assert (rejected.outcome, rejected.error) == ("failed", "ses_MessageRejected")
    assert "@" not in (rejected.error or "")


async def test_ses_retries_throttling_in_place(ses: FakeSes) -> None:
    ses.server.script.append(Scripted(429, {"message": "Throttling"}, {"retry-after": "0"}))
    ses.server.script.append(Scripted(503, {"message": "unavailable"}))
    [result] = await ses_sender(ses).send([mail()])
    assert result.outcome == "sent"
    assert len(ses.server.requests) == 3


async def test_sendgrid_sends_custom_args_and_headers(sendgrid: FakeSendGrid) -> None:
    one = mail()
    sender = SendGridSender("SG.key", base_url=sendgrid.server.url, retry=FAST)
    [result] = await sender.send([one])
    assert result.outcome == "sent"
    assert result.provider_message_id
    [body] = sendgrid.accepted
    assert body["personalizations"][0]["custom_args"] == {"rastro_mid": str(one.message_id)}
    assert body["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert body["headers"]["X-Rastro-Mid"] == str(one.message_id)
    # SendGrid's Event Webhook flattens the custom arg into each event: it maps back.
    event = sendgrid_event("delivered", email=one.to, mid=one.message_id)
    assert event["rastro_mid"] == body["personalizations"][0]["custom_args"]["rastro_mid"]
    hook = sendgrid_hooks.SendGridWebhook(verification_key=SendGridSigner().verification_key)
    [notice] = hook.events([event]) or []
    assert notice.message_id == one.message_id


async def test_sendgrid_bad_key_and_persistent_5xx(sendgrid: FakeSendGrid) -> None:
    [bad] = await SendGridSender("SG.other", base_url=sendgrid.server.url, retry=FAST).send(
        [mail()]
    )
    assert (bad.outcome, bad.error) == ("failed", "sendgrid_401")
    for _ in range(3):
        sendgrid.server.script.append(Scripted(500, {"errors": []}))
    [later] = await SendGridSender("SG.key", base_url=sendgrid.server.url, retry=FAST).send(
        [mail()]
    )
    assert (later.outcome, later.error) == ("retry", "sendgrid_500")
    assert sendgrid.accepted == []


async def test_postmark_batch_keeps_each_mails_answer(postmark: FakePostmark) -> None:
    good, inactive = mail(), mail("inactive.gone@cliente.com.br")
    sender = PostmarkSender("pm-token", base_url=postmark.server.url, retry=FAST)
    results = await sender.send([good, inactive])
    assert [r.outcome for r in results] == ["sent", "failed"]
    assert results[1].error == "postmark_406"
    assert [r.path for r in postmark.server.requests] == ["/email/batch"]
    [accepted] = postmark.accepted
    assert accepted["Metadata"] == {"mid": str(good.message_id)}
    assert accepted["MessageStream"] == "broadcast"
    headers = {h["Name"]: h["Value"] for h in accepted["Headers"]}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Postmark's webhooks echo the metadata: a bounce maps back to the message.
    record = {**postmark_bounce(email=good.to, mid=uuid.uuid4()), "Metadata": accepted["Metadata"]}
    [bounce] = postmark_hooks.PostmarkWebhook(password="x").events(record) or []
    assert bounce.message_id == good.message_id


async def test_postmark_single_and_bad_token(postmark: FakePostmark) -> None:
    [one] = await PostmarkSender("pm-token", base_url=postmark.server.url, retry=FAST).send(
        [mail()]
    )
    assert one.outcome == "sent"
    assert postmark.server.requests[-1].path == "/email"
    [bad] = await PostmarkSender("nope", base_url=postmark.server.url, retry=FAST).send([mail()])
    assert (bad.outcome, bad.error) == ("failed", "postmark_10")


async def test_mailgun_multipart_with_variables(mailgun: FakeMailgun) -> None:
    one = mail()
    sender = MailgunSender(
        "mg-key", domain="mg.loja.com.br", base_url=mailgun.server.url, retry=FAST
    )
    [result] = await sender.send([one])
    assert result.outcome == "sent"
    assert (result.provider_message_id or "").endswith("@mg.loja.com.br>")
    [form] = mailgun.accepted
    assert form["v:rastro_mid"] == str(one.message_id)
    assert form["h:List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert form["h:Reply-To"] == "sac@loja.com.br"
    [wrong_key] = await MailgunSender(
        "other", domain="mg.loja.com.br", base_url=mailgun.server.url, retry=FAST
    ).send([mail()])
    assert (wrong_key.outcome, wrong_key.error) == ("failed", "mailgun_401")
    [wrong_domain] = await MailgunSender(
        "mg-key", domain="outro.com.br", base_url=mailgun.server.url, retry=FAST
    ).send([mail()])
    assert (wrong_domain.outcome, wrong_domain.error) == ("failed", "mailgun_404")


async def test_unreachable_provider_is_a_retry() -> None:
    sender = SendGridSender("SG.key", base_url="http://127.0.0.1:9", retry=FAST)
    [result] = await sender.send([mail()])
    assert result.outcome == "retry"
    assert result.error


AWS_KEY = AwsCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
AWS_HEADERS = {"host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z"}


@pytest.mark.parametrize(
    ("method", "query", "signature"),
    [
        # AWS's Signature Version 4 test suite: post-vanilla, post-vanilla-query and
        # get-vanilla-empty-query-key (service `service`, us-east-1, 2015-08-30).
        ("POST", "", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        (
            "POST",
            "Param1=value1",
            "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
        ),
        (
            "GET",
            "Param1=value1",
            "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
        ),
    ],
)
def test_sigv4_matches_aws_test_suite(method: str, query: str, signature: str) -> None:
    header = sigv4.authorization(
        AWS_KEY,
        method=method,
        path="/",
        query=query,
        headers=AWS_HEADERS,
        body=b"",
        region="us-east-1",
        service="service",
        amz_date="20150830T123600Z",
    )
    assert header == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={signature}"
    )
    assert "wJalr" not in repr(AWS_KEY)
