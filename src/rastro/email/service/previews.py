"""Previews: a subject, HTML and text rendered for one recipient exactly as generation
fills them (merge fields escaped in HTML, plain in text), before anything is sent.

Links are left as written (tracking rewrites them per message) and the unsubscribe field
points at a placeholder, so a preview never creates a token that works."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.references import UnknownReference
from rastro.crm.service import people
from rastro.email import schemas
from rastro.email.models import EmailContact
from rastro.email.service import content

SAMPLE = content.Recipient(
    email="maria.silva@exemplo.com.br",
    name="Maria Silva",
    attributes={"cidade": "São Paulo", "plano": "Pro"},
)
PREVIEW_UNSUBSCRIBE_URL = "#unsubscribe"
# Fields every recipient has; `attributes.<key>` depends on the contact.
KNOWN_FIELDS = ("name", "first_name", "email", content.UNSUBSCRIBE_FIELD)


async def _recipient(session: AsyncSession, contact_id: uuid.UUID | None) -> content.Recipient:
    if contact_id is None:
        return SAMPLE
    recipient = await session.get(EmailContact, contact_id)
    person = (await people.people_by_id(session, contact_ids=[contact_id])).get(contact_id)
    if recipient is None or person is None:
        raise UnknownReference(field="body.contact_id", key=contact_id)
    return content.Recipient(person.email, person.name, recipient.attributes)


def _unknown(field: str) -> bool:
    if field in KNOWN_FIELDS:
        return False
    return not field.startswith("attributes.")


async def render_preview(session: AsyncSession, *, new: schemas.PreviewIn) -> schemas.Preview:
    """The content as the recipient (or a sample person) would receive it."""
    recipient = await _recipient(session, new.contact_id)
    extra = {content.UNSUBSCRIBE_FIELD: PREVIEW_UNSUBSCRIBE_URL}
    used = content.merge_fields(new.subject, new.html, new.text)
    return schemas.Preview(
        subject=content.merge(new.subject, recipient, escape=False, extra={}),
        html=content.merge(new.html, recipient, escape=True, extra=extra),
        text=content.merge(new.text, recipient, escape=False, extra=extra),
        recipient=recipient.email,
        fields=used,
        unknown_fields=[field for field in used if _unknown(field)],
    )
