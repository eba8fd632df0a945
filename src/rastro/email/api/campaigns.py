"""Routes of templates, senders and campaigns (`/api/email/…`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from rastro.core.deps import BiSession, CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute
from rastro.email import schemas
from rastro.email.models import Campaign, Sender
from rastro.email.permissions import Admin, Read, Write
from rastro.email.service import aggregates, campaigns, generation, sending, tokens

router = APIRouter(
    prefix="/api/email",
    tags=["email"],
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
)


async def _campaign_out(session: CrmSession, campaign: Campaign) -> schemas.Campaign:
    out = schemas.Campaign.model_validate(campaign)
    out.audience_ids = await campaigns.audience_ids(session, campaign_id=campaign.campaign_id)
    return out


def _sender_out(request: Request, sender: Sender) -> schemas.Sender:
    settings = request.app.state.settings
    base = settings.public_url.rstrip("/")
    password = tokens.webhook_password(settings.secret_key_value, sender.webhook_token, "postmark")
    scheme, _, rest = base.partition("://")
    out = schemas.Sender.model_validate(sender)
    out.webhooks = schemas.WebhookEndpoints(
        ses=f"{base}/e/webhooks/ses/{sender.webhook_token}",
        postmark=f"{scheme}://rastro:{password}@{rest}/e/webhooks/postmark/{sender.webhook_token}",
    )
    return out


# --- templates ----------------------------------------------------------------------------


@router.get("/templates", response_model=list[schemas.Template])
async def list_templates(_: Read, session: CrmSession) -> list[schemas.Template]:
    """Templates, newest first."""
    return [schemas.Template.model_validate(t) for t in await campaigns.list_templates(session)]


@router.post("/templates", response_model=schemas.Template, status_code=status.HTTP_201_CREATED)
async def create_template(
    body: schemas.TemplateIn, _: Write, session: CrmSession
) -> schemas.Template:
    """A reusable subject and content with merge fields."""
    return schemas.Template.model_validate(await campaigns.create_template(session, new=body))


@router.put("/templates/{template_id}", response_model=schemas.Template)
async def update_template(
    template_id: uuid.UUID, body: schemas.TemplateIn, _: Write, session: CrmSession
) -> schemas.Template:
    """Replace a template's name, subject and content."""
    template = await campaigns.update_template(session, template_id=template_id, change=body)
    return schemas.Template.model_validate(template)


# --- senders ------------------------------------------------------------------------------


@router.get("/senders", response_model=list[schemas.Sender])
async def list_senders(request: Request, _: Admin, session: CrmSession) -> list[schemas.Sender]:
    """Senders with their provider webhook URLs (these carry credentials: admins only)."""
    return [_sender_out(request, s) for s in await campaigns.list_senders(session)]


@router.post("/senders", response_model=schemas.Sender, status_code=status.HTTP_201_CREATED)
async def create_sender(
    request: Request, body: schemas.SenderCreate, _: Admin, session: CrmSession
) -> schemas.Sender:
    """A simulated or SMTP sender."""
    return _sender_out(request, await campaigns.create_sender(session, new=body))


# --- campaigns ----------------------------------------------------------------------------


@router.get("/campaigns", response_model=list[schemas.Campaign])
async def list_campaigns(_: Read, session: CrmSession) -> list[schemas.Campaign]:
    """Campaigns, newest first."""
    return [await _campaign_out(session, c) for c in await campaigns.list_campaigns(session)]


@router.post("/campaigns", response_model=schemas.Campaign, status_code=status.HTTP_201_CREATED)
async def create_campaign(
    body: schemas.CampaignCreate, _: Write, session: CrmSession
) -> schemas.Campaign:
    """A draft campaign (content from its template unless given)."""
    return await _campaign_out(session, await campaigns.create_campaign(session, new=body))


@router.get("/campaigns/{campaign_id}", response_model=schemas.Campaign)
async def get_campaign(campaign_id: uuid.UUID, _: Read, session: CrmSession) -> schemas.Campaign:
    """One campaign with its generation figures."""
    return await _campaign_out(
        session, await campaigns.get_campaign(session, campaign_id=campaign_id)
    )


@router.patch("/campaigns/{campaign_id}", response_model=schemas.Campaign)
async def update_campaign(
    campaign_id: uuid.UUID, body: schemas.CampaignUpdate, _: Write, session: CrmSession
) -> schemas.Campaign:
    """Edit a draft or scheduled campaign whose messages are not generated yet."""
    campaign = await campaigns.update_campaign(session, campaign_id=campaign_id, change=body)
    return await _campaign_out(session, campaign)


@router.post(
    "/campaigns/{campaign_id}/generate",
    response_model=schemas.Campaign,
    status_code=status.HTTP_202_ACCEPTED,
)
async def generate_messages(
    campaign_id: uuid.UUID, _: Write, session: CrmSession
) -> schemas.Campaign:
    """Queue the generation of one message per eligible contact (409 if done already)."""
    campaign = await generation.start_generation(session, campaign_id=campaign_id)
    return await _campaign_out(session, campaign)


@router.post(
    "/campaigns/{campaign_id}/send",
    response_model=schemas.Campaign,
    status_code=status.HTTP_202_ACCEPTED,
)
async def send_campaign(campaign_id: uuid.UUID, _: Write, session: CrmSession) -> schemas.Campaign:
    """Send now, or resume a paused campaign (generating its messages first if needed)."""
    return await _campaign_out(
        session, await sending.start_sending(session, campaign_id=campaign_id)
    )


@router.post("/campaigns/{campaign_id}/schedule", response_model=schemas.Campaign)
async def schedule_campaign(
    campaign_id: uuid.UUID, body: schemas.ScheduleIn, _: Write, session: CrmSession
) -> schemas.Campaign:
    """Send at a given time."""
    campaign = await campaigns.schedule_campaign(
        session, campaign_id=campaign_id, at=body.scheduled_at
    )
    return await _campaign_out(session, campaign)


@router.post("/campaigns/{campaign_id}/pause", response_model=schemas.Campaign)
async def pause_campaign(campaign_id: uuid.UUID, _: Write, session: CrmSession) -> schemas.Campaign:
    """Stop sending after the current batch."""
    return await _campaign_out(
        session, await campaigns.pause_campaign(session, campaign_id=campaign_id)
    )


@router.post("/campaigns/{campaign_id}/cancel", response_model=schemas.Campaign)
async def cancel_campaign(
    campaign_id: uuid.UUID, _: Write, session: CrmSession
) -> schemas.Campaign:
    """Cancel for good."""
    return await _campaign_out(
        session, await campaigns.cancel_campaign(session, campaign_id=campaign_id)
    )


@router.get("/campaigns/{campaign_id}/report", response_model=schemas.EmailCampaignReport)
async def campaign_report(
    campaign_id: uuid.UUID, _: Read, session: CrmSession, bi: BiSession
) -> schemas.EmailCampaignReport:
    """Totals, days and links from the aggregates, with leads and revenue attributed."""
    campaign = await campaigns.get_campaign(session, campaign_id=campaign_id)
    return await aggregates.campaign_report(session, bi, campaign=campaign)
