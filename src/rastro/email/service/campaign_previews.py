"""A campaign's preview and test send: its subject (or an A/B variant's), HTML and text
with the merge fields of one contact, or of an example person.

Neither creates a message: a test send has no tracking token, no open pixel, no events,
so it counts in no report or aggregate. Its links go straight to their destinations and
its unsubscribe link is a placeholder; it carries `X-Rastro-Test: 1`."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import field_error
from rastro.core.references import referenced
from rastro.core.security import Keyring
from rastro.crm.service import identity, people
from rastro.email import schemas
from rastro.email.models import Campaign, EmailContact
from rastro.email.senders.base import OutgoingMail
from rastro.email.service import content, variants
from rastro.email.service.campaigns import get_campaign
from rastro.email.service.sending import sender_for

EXAMPLE = content.Recipient("maria.silva@exemplo.com.br", "Maria Silva", {})
PLACEHOLDER_UNSUBSCRIBE = "#unsubscribe"


async def _recipient(session: AsyncSession, contact_id: uuid.UUID | None) -> content.Recipient:
    if contact_id is None:
        return EXAMPLE
    recipient = await referenced(session, EmailContact, contact_id, field="body.contact_id")
    person = (await people.people_by_id(session, contact_ids=[contact_id])).get(contact_id)
    if person is None:
        raise field_error("body.contact_id", "The contact has no e-mail address.")
    return content.Recipient(person.email, person.name, recipient.attributes)


def _render(
    campaign: Campaign, recipient: content.Recipient, variant: int | None
) -> schemas.CampaignPreview:
    if variant is not None and variant >= len(campaign.subject_variants):
        raise field_error("body.variant", "The campaign has no such subject variant.")
    extra = {content.UNSUBSCRIBE_FIELD: PLACEHOLDER_UNSUBSCRIBE}
    return schemas.CampaignPreview(
        subject=content.merge(
            variants.subject_of(campaign, variant), recipient, escape=False, extra={}
        ),
        html=content.merge(campaign.html, recipient, escape=True, extra=extra),
        text=content.merge(campaign.text, recipient, escape=False, extra=extra),
    )


async def preview_campaign(
    session: AsyncSession, *, campaign_id: uuid.UUID, request: schemas.CampaignPreviewIn
) -> schemas.CampaignPreview:
    """The campaign as this contact (or the example person) would read it."""
    campaign = await get_campaign(session, campaign_id=campaign_id)
    return _render(campaign, await _recipient(session, request.contact_id), request.variant)


async def send_test(
    session: AsyncSession, *, campaign_id: uuid.UUID, request: schemas.TestSendIn, keyring: Keyring
) -> schemas.TestSent:
    """Send the preview to one address now, through the campaign's sender."""
    campaign = await get_campaign(session, campaign_id=campaign_id)
    to = identity.normalize_email(request.email, field="body.email").address
    rendered = _render(campaign, await _recipient(session, request.contact_id), request.variant)
    mail = OutgoingMail(
        message_id=uuid.uuid4(),
        to=to,
        from_name=campaign.from_name,
        from_address=campaign.from_address,
        reply_to=campaign.reply_to,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        headers={"X-Rastro-Test": "1"},
    )
    sender = await sender_for(session, keyring, campaign)
    results = await sender.send([mail])
    result = results[0]
    return schemas.TestSent(outcome=result.outcome, error=result.error)
