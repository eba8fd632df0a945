"""Routes of one template and of previews (`/api/email/templates/{id}`, `/api/email/preview`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from rastro.core.deps import CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute
from rastro.email import schemas
from rastro.email.permissions import Read, Write
from rastro.email.service import campaigns, previews

router = APIRouter(
    prefix="/api/email",
    tags=["email"],
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
)


@router.get("/templates/{template_id}", response_model=schemas.Template)
async def get_template(template_id: uuid.UUID, _: Read, session: CrmSession) -> schemas.Template:
    """One template with its content."""
    template = await campaigns.get_template(session, template_id=template_id)
    return schemas.Template.model_validate(template)


@router.delete("/templates/{template_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_template(template_id: uuid.UUID, _: Write, session: CrmSession) -> None:
    """Delete a template (campaigns made from it keep their content)."""
    await campaigns.delete_template(session, template_id=template_id)


@router.post("/templates/{template_id}/preview", response_model=schemas.Preview)
async def preview_template(
    template_id: uuid.UUID,
    _: Read,
    session: CrmSession,
    body: schemas.TemplatePreviewIn | None = None,
) -> schemas.Preview:
    """The saved template rendered for a recipient (or a sample person), fields escaped."""
    template = await campaigns.get_template(session, template_id=template_id)
    content = schemas.PreviewIn(
        subject=template.subject,
        html=template.html,
        text=template.text,
        contact_id=body.contact_id if body else None,
    )
    return await previews.render_preview(session, new=content)


@router.post("/preview", response_model=schemas.Preview)
async def preview_content(body: schemas.PreviewIn, _: Read, session: CrmSession) -> schemas.Preview:
    """Content being edited, rendered for a recipient (or a sample person), fields escaped."""
    return await previews.render_preview(session, new=body)
