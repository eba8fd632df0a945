"""Recovery by e-mail, end to end with the simulated sender: an abandoned checkout
enrolls its buyer in the active `checkout_abandoned` sequence once the recovery detects
it, and the e-mail carries the resume link that reopens the checkout with the buyer's
data; an unpaid PIX's `pix_unpaid` e-mail carries the link to the pending PIX and its
copia e cola; with no active sequence the case takes no e-mail channel."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from rastro.email.senders.simulated import SimulatedSender
from tests.email.sequence_helpers import activate, enrollments, run, sequence, step
from tests.funnels.recovery import factories as r
from tests.funnels.recovery.test_abandoned import _capture, _last_activity, _on_checkout

RECOVERY_HTML = (
    "<html><body><p>Olá {{ first_name }}, seu pedido de {{ product_name }} ({{ amount }}) "
    'continua aqui: <a href="{{ resume_url }}">voltar ao checkout</a></p>'
    "<p>PIX: {{ pix_copy_paste }}</p></body></html>"
)


def _resume_path(mail_html: str) -> str:
    found = re.search(r'href="(http[^"]+/f/_resume/[^"]+)"', mail_html)
    assert found, mail_html
    return "/" + html.unescape(found.group(1)).split("/", 3)[3]


async def _recovery_sequence(client, shop, trigger: str, **fields) -> str:
    created = await sequence(client, shop.org, trigger=trigger, name="Recuperação", **fields)
    sid = str(created["sequence_id"])
    await step(client, shop.org, sid, subject="Seu pedido, {{ first_name }}", html=RECOVERY_HTML)
    await activate(client, shop.org, sid)
    return sid


async def test_an_abandoned_checkout_mails_the_resume_link(client, databases, settings):
    shop = await r.make_shop(client, databases)
    await _recovery_sequence(client, shop, "checkout_abandoned")
    await _capture(client, shop, r.SESSION)
    await _on_checkout(client, shop, r.SESSION)
    idle = await _last_activity(databases, shop, r.SESSION)
    detected_at = idle + timedelta(minutes=31)
    (found,) = await r.detect(databases, settings, detected_at)
    assert set(found.channels) == {"whatsapp", "email"}
    emailed = [a for a in await r.actions(databases, shop.org) if a.channel == "email"]
    assert [a.status for a in emailed] == ["sent"]
    (enrollment,) = (await enrollments(databases, shop.org)).values()
    assert enrollment.source_ref == str(found.case_id)
    # Detected again later: the case is not new, nobody is enrolled twice.
    assert await r.detect(databases, settings, detected_at + timedelta(minutes=10)) == []

    sender = SimulatedSender()
    await run(databases, shop.org, detected_at, sender, secret=settings.secret_key_value)
    (mail,) = sender.sent
    assert mail.to == "maria.souza@example.com"
    assert mail.subject == "Seu pedido, Maria"
    assert "Curso Completo (R$ 97,00)" in mail.html
    assert "PIX: </p>" in mail.html  # no PIX was generated: the field is empty
    (case,) = await r.cases(databases, shop.org)
    expected = r.signer(settings).resume_url(case)
    assert _resume_path(mail.html) == "/" + expected.split("/", 3)[3]

    # The link in the e-mail reopens the checkout with the buyer's data.
    opened = await client.get(_resume_path(mail.html))
    assert opened.status_code in (302, 303, 307), opened.text
    page = await client.get(opened.headers["location"])
    assert 'value="maria.souza@example.com"' in page.text
    assert 'value="Maria Souza"' in page.text


async def test_an_unpaid_pix_mail_carries_the_link_to_the_pending_pix(client, databases, settings):
    shop = await r.make_shop(client, databases)
    # Sent 30 minutes after the PIX: after the recovery's 15-minute detection.
    await _recovery_sequence(client, shop, "pix_unpaid", trigger_minutes=30)
    payment_id = await r.checkout(client, shop)
    payment = await r.payment(databases, shop.org, payment_id)
    (enrollment,) = (await enrollments(databases, shop.org)).values()
    assert enrollment.source_ref == payment_id
    assert enrollment.fields == {}  # generated: no case, no link yet

    (found,) = await r.detect(databases, settings, payment.created_at + timedelta(minutes=16))
    assert "email" in found.channels
    (enrollment,) = (await enrollments(databases, shop.org)).values()
    assert enrollment.fields["pix_copy_paste"] == payment.pix_copy_paste
    assert enrollment.fields["amount"] == "R$ 97,00"

    sender = SimulatedSender()
    secret = settings.secret_key_value
    await run(
        databases, shop.org, payment.created_at + timedelta(minutes=29), sender, secret=secret
    )
    assert sender.sent == []  # not due yet
    await run(
        databases, shop.org, payment.created_at + timedelta(minutes=31), sender, secret=secret
    )
    (mail,) = sender.sent
    assert html.escape(payment.pix_copy_paste or "x", quote=True) in mail.html
    # The link reopens the pending PIX (not a new charge).
    opened = await client.get(_resume_path(mail.html))
    assert payment_id in opened.headers["location"]


async def test_without_an_active_sequence_no_mail_is_taken(client, databases, settings):
    shop = await r.make_shop(client, databases)
    await sequence(client, shop.org, trigger="checkout_abandoned")  # a draft
    await _capture(client, shop, r.SESSION)
    await _on_checkout(client, shop, r.SESSION)
    idle = await _last_activity(databases, shop, r.SESSION)
    (found,) = await r.detect(databases, settings, idle + timedelta(minutes=31))
    assert found.channels == ("whatsapp",)
    assert await enrollments(databases, shop.org) == {}
