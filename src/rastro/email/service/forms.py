"""Subscription forms: their settings, and the HTML snippet a site pastes to use one.

A form's public URL carries its random `token` (it names the form, it is no secret); the
snippet posts the address, an optional name and a hidden honeypot field (`website`) that
people leave empty and form-filling bots do not."""

from __future__ import annotations

import html
import secrets
import uuid
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import SYSTEM, scoped
from rastro.core.errors import NotFound, field_error
from rastro.core.references import check_referenced, referenced
from rastro.crm.service import identity
from rastro.email import subscription_schemas as schemas
from rastro.email.models import Audience, Sender, SubscriptionForm

HONEYPOT = "website"
_LABELS = {
    "pt-BR": ("E-mail", "Nome", "Inscrever-se"),
    "en": ("E-mail", "Name", "Subscribe"),
}


class FormNotFound(NotFound):
    code = "form_not_found"
    default_message = "No such subscription form."


async def _checked(session: AsyncSession, new: schemas.FormIn) -> dict[str, object]:
    if new.audience_id is not None:
        audience = await referenced(session, Audience, new.audience_id, field="body.audience_id")
        if audience.kind != "static":
            raise field_error("body.audience_id", "Subscribers join a static audience.")
    await check_referenced(session, Sender, new.sender_id, field="body.sender_id")
    if any(c in new.from_name for c in "\r\n"):
        raise field_error("body.from_name", "A sender name is one line.")  # a mail header
    if new.redirect_url is not None:
        parts = urlsplit(new.redirect_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise field_error("body.redirect_url", "An http(s) address.")
    tags = sorted({tag.strip() for tag in new.tags if tag.strip()})
    if any(len(tag) > 60 for tag in tags):
        raise field_error("body.tags", "A tag has at most 60 characters.")
    return {
        **new.model_dump(),
        "tags": tags,
        "from_address": identity.normalize_email(
            new.from_address, field="body.from_address"
        ).address,
    }


async def create_form(session: AsyncSession, *, new: schemas.FormIn) -> SubscriptionForm:
    form = SubscriptionForm(**await _checked(session, new), token=secrets.token_urlsafe(18))
    session.add(form)
    await session.flush()
    await session.refresh(form)
    return form


async def get_form(session: AsyncSession, *, form_id: uuid.UUID) -> SubscriptionForm:
    form = await session.get(SubscriptionForm, form_id)
    if form is None:
        raise FormNotFound()
    return form


async def update_form(
    session: AsyncSession, *, form_id: uuid.UUID, change: schemas.FormIn
) -> SubscriptionForm:
    form = await get_form(session, form_id=form_id)
    for name, value in (await _checked(session, change)).items():
        setattr(form, name, value)
    await session.flush()
    await session.refresh(form)
    return form


async def delete_form(session: AsyncSession, *, form_id: uuid.UUID) -> None:
    """Delete a form: its URL stops working; the contacts it brought keep their proof."""
    await session.delete(await get_form(session, form_id=form_id))
    await session.flush()


async def list_forms(session: AsyncSession) -> list[SubscriptionForm]:
    return list(
        await session.scalars(select(SubscriptionForm).order_by(SubscriptionForm.created_at))
    )


async def form_by_token(session: AsyncSession, *, token: str) -> SubscriptionForm:
    """The form of a public URL, whatever the organization (404 when there is none)."""
    if not 8 <= len(token) <= 64:
        raise FormNotFound()
    async with scoped(session, SYSTEM):
        form = await session.scalar(select(SubscriptionForm).where(SubscriptionForm.token == token))
    if form is None:
        raise FormNotFound()
    return form


def action_url(base_url: str, form: SubscriptionForm) -> str:
    return f"{base_url.rstrip('/')}/e/subscribe/{form.token}"


def snippet(base_url: str, form: SubscriptionForm) -> str:
    """The HTML form to paste in a page (labels in the form's language)."""
    email, name, submit = _LABELS.get(form.language, _LABELS["en"])
    action = html.escape(action_url(base_url, form), quote=True)
    return (
        f'<form action="{action}" method="post" accept-charset="utf-8">\n'
        f'  <label>{email} <input type="email" name="email" required maxlength="320"></label>\n'
        f'  <label>{name} <input type="text" name="name" maxlength="255"></label>\n'
        '  <div style="position:absolute;left:-5000px" aria-hidden="true">\n'
        f'    <input type="text" name="{HONEYPOT}" tabindex="-1" autocomplete="off" value="">\n'
        "  </div>\n"
        f'  <button type="submit">{submit}</button>\n'
        "</form>"
    )


def form_out(base_url: str, form: SubscriptionForm) -> schemas.Form:
    out = schemas.Form.model_validate(form)
    out.action_url = action_url(base_url, form)
    out.snippet = snippet(base_url, form)
    return out
