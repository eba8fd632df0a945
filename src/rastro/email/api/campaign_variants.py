"""Routes of a campaign's A/B subject test, preview and test send
(`/api/email/campaigns/{campaign_id}/…`)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request

from rastro.core.deps import CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.security import Keyring
from rastro.core.session import TransactionalRoute
from rastro.email import schemas
from rastro.email.permissions import Read, Write
from rastro.email.service import campaign_previews, variants

router = APIRouter(
    prefix="/api/email/campaigns/{campaign_id}",
    tags=["email"],
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such campaign in the caller's organization."}
}
EDITABLE: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {"description": "The campaign's messages are generated already."},
}


@router.put("/ab-test", response_model=schemas.AbReport, responses=EDITABLE)
async def set_ab_test(
    campaign_id: uuid.UUID, body: schemas.AbTestIn, _: Write, session: CrmSession
) -> schemas.AbReport:
    """Test 2 to 4 subjects on a sample; the best one goes to the rest after a wait."""
    await variants.set_ab_test(session, campaign_id=campaign_id, test=body)
    return await variants.variant_report(session, campaign_id=campaign_id)


@router.delete("/ab-test", response_model=schemas.AbReport, responses=EDITABLE)
async def remove_ab_test(campaign_id: uuid.UUID, _: Write, session: CrmSession) -> schemas.AbReport:
    """Send one subject to everyone again."""
    await variants.set_ab_test(session, campaign_id=campaign_id, test=None)
    return await variants.variant_report(session, campaign_id=campaign_id)


@router.get("/ab-test", response_model=schemas.AbReport, responses=NOT_FOUND)
async def ab_report(campaign_id: uuid.UUID, _: Read, session: CrmSession) -> schemas.AbReport:
    """Messages, sends, human opens and clicks per subject variant, and the winner."""
    return await variants.variant_report(session, campaign_id=campaign_id)


@router.post("/preview", response_model=schemas.CampaignPreview, responses=NOT_FOUND)
async def preview(
    campaign_id: uuid.UUID, body: schemas.CampaignPreviewIn, _: Read, session: CrmSession
) -> schemas.CampaignPreview:
    """The subject, HTML and text with a contact's (or an example's) merge fields."""
    return await campaign_previews.preview_campaign(session, campaign_id=campaign_id, request=body)


@router.post("/test-send", response_model=schemas.TestSent, responses=NOT_FOUND)
async def send_test(
    request: Request,
    campaign_id: uuid.UUID,
    body: schemas.TestSendIn,
    _: Write,
    session: CrmSession,
) -> schemas.TestSent:
    """Send the preview to one address now (no tracking; counted in no report)."""
    keyring = Keyring(request.app.state.settings.encryption_key_value)
    return await campaign_previews.send_test(
        session, campaign_id=campaign_id, request=body, keyring=keyring
    )
