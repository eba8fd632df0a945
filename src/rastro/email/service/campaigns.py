"""Templates, senders and campaigns: creation, edits, audiences and the status machine
`draft → scheduled → sending → sent / paused / cancelled`."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.core.errors import NotFound, field_error
from rastro.core.references import UnknownReference, check_referenced, referenced
from rastro.crm.service import identity
from rastro.email import schemas
from rastro.email.errors import CampaignNotFound, InvalidTransition
from rastro.email.models import (
    CREDENTIAL_SENDER_KINDS,
    Audience,
    Campaign,
    CampaignAudience,
    Sender,
    Template,
)
from rastro.email.sequence_models import SequenceStep
from rastro.tracking.service import config as tracking_config

# Where each status may go (the generation and sending jobs make sending → sent).
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"scheduled", "sending", "cancelled"}),
    "scheduled": frozenset({"draft", "sending", "cancelled"}),
    "sending": frozenset({"paused", "sent", "cancelled"}),
    "paused": frozenset({"sending", "cancelled"}),
    "sent": frozenset(),
    "cancelled": frozenset(),
}


# --- templates ----------------------------------------------------------------------------


async def create_template(session: AsyncSession, *, new: schemas.TemplateIn) -> Template:
    template = Template(name=new.name, subject=new.subject, html=new.html, text=new.text)
    session.add(template)
    await session.flush()
    await session.refresh(template)
    return template


async def get_template(session: AsyncSession, *, template_id: uuid.UUID) -> Template:
    template = await session.get(Template, template_id)
    if template is None:
        raise NotFound("No such template in this organization.")
    return template


async def update_template(
    session: AsyncSession, *, template_id: uuid.UUID, change: schemas.TemplateIn
) -> Template:
    template = await get_template(session, template_id=template_id)
    template.name, template.subject = change.name, change.subject
    template.html, template.text = change.html, change.text
    await session.flush()
    await session.refresh(template)
    return template


async def delete_template(session: AsyncSession, *, template_id: uuid.UUID) -> None:
    """Delete a template; campaigns made from it keep their own copy of the content."""
    await session.delete(await get_template(session, template_id=template_id))
    await session.flush()


async def list_templates(session: AsyncSession) -> list[Template]:
    return list(await session.scalars(select(Template).order_by(Template.created_at.desc())))


# --- senders ------------------------------------------------------------------------------


async def create_sender(session: AsyncSession, *, new: schemas.SenderCreate) -> Sender:
    """A sender; any but a simulated one names a vault credential of the service of its
    kind (`smtp`, `ses`, `sendgrid`, `postmark`, `mailgun`)."""
    needs_credential = new.kind in CREDENTIAL_SENDER_KINDS
    if needs_credential:
        if new.credential_id is None:
            raise field_error("body.credential_id", f"A {new.kind} sender needs a credential.")
        credential = await credentials.get_credential(session, new.credential_id)
        if credential.service != new.kind:
            raise field_error("body.credential_id", f"The credential is not of service {new.kind}.")
    sender = Sender(
        name=new.name,
        kind=new.kind,
        credential_id=new.credential_id if needs_credential else None,
        rate_per_second=new.rate_per_second,
        webhook_token=secrets.token_urlsafe(24),
    )
    session.add(sender)
    await session.flush()
    await session.refresh(sender)
    return sender


async def list_senders(session: AsyncSession) -> list[Sender]:
    return list(await session.scalars(select(Sender).order_by(Sender.created_at)))


# --- campaigns ----------------------------------------------------------------------------


async def get_campaign(session: AsyncSession, *, campaign_id: uuid.UUID) -> Campaign:
    """The campaign (404 for an unknown one, another organization's, or a sequence step's:
    its sequence runs it, `service/sequences`)."""
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None or await session.scalar(
        select(exists().where(SequenceStep.campaign_id == campaign_id))
    ):
        raise CampaignNotFound()
    return campaign


async def audience_ids(session: AsyncSession, *, campaign_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(CampaignAudience.audience_id)
            .where(CampaignAudience.campaign_id == campaign_id)
            .order_by(CampaignAudience.audience_id)
        )
    )


async def _set_audiences(
    session: AsyncSession, campaign: Campaign, wanted: list[uuid.UUID]
) -> None:
    for audience_id in wanted:
        await check_referenced(session, Audience, audience_id, field="body.audience_ids")
    await session.execute(
        delete(CampaignAudience).where(CampaignAudience.campaign_id == campaign.campaign_id)
    )
    session.add_all(
        CampaignAudience(campaign_id=campaign.campaign_id, audience_id=audience_id)
        for audience_id in dict.fromkeys(wanted)
    )
    await session.flush()


async def _check_landing_page(session: AsyncSession, page_id: uuid.UUID | None) -> None:
    """422 `unknown_reference` unless the landing page is the organization's."""
    if page_id is None:
        return
    try:
        await tracking_config.get_landing_page(session, page_id)
    except NotFound:
        raise UnknownReference(field="body.landing_page_id", key=page_id) from None


def _check_period(starts_at: datetime | None, ends_at: datetime | None) -> None:
    """422 for a time without its zone, or an end before the start."""
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value is not None and value.tzinfo is None:
            raise field_error(f"body.{name}", "Give the time with its time zone.")
    if starts_at is not None and ends_at is not None and ends_at < starts_at:
        raise field_error("body.ends_at", "The campaign cannot end before it starts.")


def _address(value: str, field: str) -> str:
    return identity.normalize_email(value, field=field).address


async def create_campaign(session: AsyncSession, *, new: schemas.CampaignCreate) -> Campaign:
    """A draft campaign; its content comes from the template unless given."""
    subject, html, text = new.subject, new.html, new.text
    if new.template_id is not None:
        template = await referenced(session, Template, new.template_id, field="body.template_id")
        subject = subject or template.subject
        html = html if html is not None else template.html
        text = text if text is not None else template.text
    if not subject:
        raise field_error("body.subject", "A subject is required (or a template that has one).")
    await check_referenced(session, Sender, new.sender_id, field="body.sender_id")
    await _check_landing_page(session, new.landing_page_id)
    _check_period(new.starts_at, new.ends_at)
    campaign = Campaign(
        name=new.name,
        objective=new.objective,
        subject=subject,
        from_name=new.from_name,
        from_address=_address(new.from_address, "body.from_address"),
        reply_to=_address(new.reply_to, "body.reply_to") if new.reply_to else None,
        template_id=new.template_id,
        sender_id=new.sender_id,
        html=html or "",
        text=text or "",
        landing_page_id=new.landing_page_id,
        utm_source=new.utm_source,
        utm_campaign=new.utm_campaign or new.name,
        starts_at=new.starts_at,
        ends_at=new.ends_at,
        exclusions={},
    )
    session.add(campaign)
    await session.flush()
    await _set_audiences(session, campaign, new.audience_ids)
    await session.refresh(campaign)
    return campaign


# Fields a campaign always has: a null in an edit leaves them as they are.
_REQUIRED = ("name", "subject", "from_name", "from_address", "html", "utm_source")


async def update_campaign(
    session: AsyncSession, *, campaign_id: uuid.UUID, change: schemas.CampaignUpdate
) -> Campaign:
    """Edit a campaign before its messages exist (409 once generated or sending)."""
    campaign = await get_campaign(session, campaign_id=campaign_id)
    if campaign.status not in ("draft", "scheduled") or campaign.generation_status is not None:
        raise InvalidTransition("Only a draft or scheduled campaign not yet generated changes.")
    fields = change.model_dump(exclude_unset=True)
    wanted = fields.pop("audience_ids", None)
    if "sender_id" in fields:
        await check_referenced(session, Sender, fields["sender_id"], field="body.sender_id")
    if "template_id" in fields:
        await check_referenced(session, Template, fields["template_id"], field="body.template_id")
    if "landing_page_id" in fields:
        await _check_landing_page(session, fields["landing_page_id"])
    _check_period(
        fields.get("starts_at", campaign.starts_at), fields.get("ends_at", campaign.ends_at)
    )
    for name in ("from_address", "reply_to"):
        if fields.get(name):
            fields[name] = _address(fields[name], f"body.{name}")
    for name, value in fields.items():
        if value is None and name in _REQUIRED:
            continue  # required: a null leaves them as they are
        setattr(campaign, name, "" if value is None and name == "text" else value)
    if wanted is not None:
        await _set_audiences(session, campaign, wanted)
    await session.flush()
    await session.refresh(campaign)
    return campaign


async def list_campaigns(session: AsyncSession) -> list[Campaign]:
    """The campaigns, newest first (not the sequences' steps, which send through theirs)."""
    return list(
        await session.scalars(
            select(Campaign)
            .where(~exists().where(SequenceStep.campaign_id == Campaign.campaign_id))
            .order_by(Campaign.created_at.desc())
        )
    )


def move(campaign: Campaign, status: str) -> None:
    """Change the status, or 409 when the machine does not allow it."""
    if status not in TRANSITIONS[campaign.status]:
        raise InvalidTransition(
            details={"from": campaign.status, "to": status},
        )
    campaign.status = status
    if status == "sent":
        campaign.sent_at = datetime.now(UTC)


async def schedule_campaign(
    session: AsyncSession, *, campaign_id: uuid.UUID, at: datetime
) -> Campaign:
    """Schedule the sending (the periodic job starts it when due)."""
    campaign = await get_campaign(session, campaign_id=campaign_id)
    if at.tzinfo is None:
        raise field_error("body.scheduled_at", "Give the time with its time zone.")
    move(campaign, "scheduled")
    campaign.scheduled_at = at
    await session.flush()
    return campaign


async def pause_campaign(session: AsyncSession, *, campaign_id: uuid.UUID) -> Campaign:
    campaign = await get_campaign(session, campaign_id=campaign_id)
    move(campaign, "paused")
    await session.flush()
    return campaign


async def cancel_campaign(session: AsyncSession, *, campaign_id: uuid.UUID) -> Campaign:
    campaign = await get_campaign(session, campaign_id=campaign_id)
    move(campaign, "cancelled")
    await session.flush()
    return campaign
