"""Double opt-in: a subscription through a form makes an `unconfirmed` contact (the
request's time, IP and form kept), a job sends the confirmation e-mail through the form's
sender, and the signed link's page confirms it: the contact becomes `active` with the
confirmation's time and IP as proof, and joins the form's audience.

Every submission answers the same, whatever the address (nothing to learn about who is
subscribed): a filled honeypot stores nothing, an address already active or blocked
(unsubscribed, bounced, complained, suppressed) gets no e-mail, and repeated submissions
send at most one confirmation per `RESEND_AFTER`. An IP address with `PENDING_PER_IP`
pending subscriptions on a form within the hour gets a 429 with `Retry-After` (a bot
filling the form with other people's addresses). Re-subscribing an address that
unsubscribed is not offered here: it stays unsubscribed.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope, set_scope
from rastro.core.errors import NotFound, RastroError, TooManyRequests
from rastro.core.jobs import enqueue
from rastro.core.security import Keyring
from rastro.crm.service import identity, people
from rastro.email import subscription_schemas as schemas
from rastro.email.models import AudienceContact, EmailContact, SubscriptionForm, Suppression
from rastro.email.senders.base import OutgoingMail, SendResult
from rastro.email.service import confirm_tokens
from rastro.email.service.forms import form_by_token
from rastro.email.service.sending import sender_by_id

CONFIRM_TASK = "email:send_confirmation"
RESEND_AFTER = timedelta(minutes=10)
# Pending subscriptions of one IP address on one form per hour, before a 429.
PENDING_PER_IP = 20
PENDING_WINDOW = timedelta(hours=1)


class TooManySubscriptions(TooManyRequests):
    code = "too_many_subscriptions"
    default_message = "Too many subscriptions from this address; try again later."


class ConfirmationInvalid(NotFound):
    """A tampered or foreign confirmation link: a plain 404."""

    code = "not_found"
    default_message = "Not found."


class ConfirmationExpired(RastroError):
    status_code = 410
    code = "confirmation_expired"
    default_message = "The confirmation link has expired; subscribe again."


@dataclass(frozen=True)
class Submission:
    form_token: str
    fields: schemas.SubscribeIn
    ip: str | None


async def subscribe(crm: AsyncSession, *, submission: Submission) -> SubscriptionForm:
    """Record a subscription and queue its confirmation e-mail (404 unknown form, 422
    invalid address). The session is scoped to the form's organization afterwards."""
    form = await form_by_token(crm, token=submission.form_token)
    await set_scope(crm, Scope.organization(form.organization_id))
    address = identity.normalize_email(submission.fields.email, field="body.email").address
    if submission.fields.website:  # the honeypot: a bot; answered like anyone else
        return form
    now = datetime.now(UTC)
    await _check_rate(crm, form, submission.ip, now)
    name = (submission.fields.name or "").strip() or None
    found = await people.upsert_people(crm, people={address: people.PersonDetails(name=name)})
    contact_id = found[address]
    # Created unless it exists (a concurrent submit of the same address waits here for
    # the other's commit), then locked: the same address submitted at once is stored once.
    await crm.execute(
        insert(EmailContact)
        .values(
            contact_id=contact_id,
            organization_id=form.organization_id,
            status="unconfirmed",
            tags=list(form.tags),
            attributes={},
        )
        .on_conflict_do_nothing(index_elements=["contact_id"])
    )
    recipient = await crm.get(
        EmailContact, contact_id, with_for_update=True, populate_existing=True
    )
    if recipient is None or recipient.status != "unconfirmed":
        return form
    recipient.consent_at, recipient.consent_ip = now, submission.ip
    recipient.consent_form_id = form.form_id
    suppressed = await crm.scalar(
        select(Suppression.suppression_id).where(Suppression.contact_id == contact_id)
    )
    sent = recipient.confirmation_sent_at
    if suppressed is None and (sent is None or now - sent >= RESEND_AFTER):
        recipient.confirmation_sent_at = now
        await enqueue(
            crm,
            CONFIRM_TASK,
            args={
                "organization_id": str(form.organization_id),
                "contact_id": str(contact_id),
                "form_id": str(form.form_id),
            },
            queue="email",
        )
    await crm.flush()
    return form


async def _check_rate(
    crm: AsyncSession, form: SubscriptionForm, ip: str | None, now: datetime
) -> None:
    """429 once an IP address has `PENDING_PER_IP` unconfirmed subscriptions on the form
    within the last `PENDING_WINDOW`."""
    if ip is None:
        return
    pending = await crm.scalar(
        select(func.count()).where(
            EmailContact.consent_form_id == form.form_id,
            EmailContact.consent_ip == ip,
            EmailContact.status == "unconfirmed",
            EmailContact.consent_at > now - PENDING_WINDOW,
        )
    )
    if int(pending or 0) >= PENDING_PER_IP:
        retry = int(PENDING_WINDOW.total_seconds())
        raise TooManySubscriptions(headers={"Retry-After": str(retry)})


_MAIL = {
    "pt-BR": (
        "Confirme sua inscrição",
        "Olá{name}! Para receber nossos e-mails, confirme sua inscrição:",
        "Confirmar inscrição",
        "Se você não pediu, ignore esta mensagem: sem confirmação, nada será enviado.",
    ),
    "en": (
        "Confirm your subscription",
        "Hello{name}! To receive our e-mails, please confirm your subscription:",
        "Confirm subscription",
        "If you did not ask for this, ignore this message: nothing is sent unconfirmed.",
    ),
}


def confirmation_mail(
    form: SubscriptionForm, *, to: str, name: str | None, url: str, message_id: uuid.UUID
) -> OutgoingMail:
    """The confirmation e-mail in the form's language (the name escaped in the HTML)."""
    subject, greeting, button, notice = _MAIL.get(form.language, _MAIL["en"])
    plain_name = f" {name}" if name else ""
    link = html.escape(url, quote=True)
    body = (
        f"<p>{html.escape(greeting.format(name=plain_name))}</p>"
        f'<p><a href="{link}">{button}</a></p><p><small>{notice}</small></p>'
    )
    return OutgoingMail(
        message_id=message_id,
        to=to,
        from_name=form.from_name,
        from_address=form.from_address,
        reply_to=None,
        subject=subject,
        html=f"<!doctype html><html><body>{body}</body></html>",
        text=f"{greeting.format(name=plain_name)}\n\n{url}\n\n{notice}\n",
    )


async def send_confirmation(
    crm: AsyncSession,
    *,
    contact_id: uuid.UUID,
    form_id: uuid.UUID,
    keyring: Keyring,
    base_url: str,
    secret: str,
) -> SendResult | None:
    """Send the confirmation e-mail of a pending subscription (None when it is no longer
    pending, or the form or the address is gone)."""
    recipient = await crm.get(EmailContact, contact_id)
    form = await crm.get(SubscriptionForm, form_id)
    if recipient is None or form is None or recipient.status != "unconfirmed":
        return None
    person = (await people.people_by_id(crm, contact_ids=[contact_id])).get(contact_id)
    if person is None:
        return None
    token = confirm_tokens.ConfirmToken(
        form.organization_id, contact_id, form_id, datetime.now(UTC)
    )
    url = f"{base_url.rstrip('/')}/e/confirm/{confirm_tokens.encode(secret, token)}"
    mail = confirmation_mail(
        form, to=person.email, name=person.name, url=url, message_id=uuid.uuid4()
    )
    sender = await sender_by_id(crm, keyring, form.sender_id)
    results = await sender.send([mail])
    return results[0] if results else None


@dataclass(frozen=True)
class Confirmation:
    form: SubscriptionForm | None
    already: bool  # confirmed before this request


async def _pending(
    crm: AsyncSession, *, secret: str, token: str
) -> tuple[confirm_tokens.ConfirmToken, EmailContact]:
    found = confirm_tokens.decode(secret, token)
    if found is None:
        raise ConfirmationInvalid()
    await set_scope(crm, Scope.organization(found.organization_id))
    recipient = await crm.get(EmailContact, found.contact_id, with_for_update=True)
    if recipient is None:
        raise ConfirmationInvalid()
    if found.expired and recipient.status == "unconfirmed":
        raise ConfirmationExpired()
    return found, recipient


async def confirmation_page(crm: AsyncSession, *, secret: str, token: str) -> Confirmation:
    """What the confirmation link's page shows (404 tampered, 410 expired)."""
    found, recipient = await _pending(crm, secret=secret, token=token)
    return Confirmation(
        await crm.get(SubscriptionForm, found.form_id), recipient.status != "unconfirmed"
    )


async def confirm(crm: AsyncSession, *, secret: str, token: str, ip: str | None) -> Confirmation:
    """Confirm the subscription: active, with the time and IP of this confirmation, on the
    form's audience. Confirming again changes nothing."""
    found, recipient = await _pending(crm, secret=secret, token=token)
    form = await crm.get(SubscriptionForm, found.form_id)
    if recipient.status != "unconfirmed":
        return Confirmation(form, already=True)
    recipient.status = "active"
    recipient.confirmed_at, recipient.confirmed_ip = datetime.now(UTC), ip
    if form is not None:
        recipient.tags = sorted(set(recipient.tags) | set(form.tags))
        if form.audience_id is not None:
            await crm.execute(
                insert(AudienceContact)
                .values(
                    audience_id=form.audience_id,
                    contact_id=recipient.contact_id,
                    organization_id=recipient.organization_id,
                )
                .on_conflict_do_nothing(index_elements=["audience_id", "contact_id"])
            )
    await crm.flush()
    return Confirmation(form, already=False)
