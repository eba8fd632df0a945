"""Routes of subscription forms (`/api/email/forms`): their settings and the HTML snippet
to paste in a site."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, status

from rastro.core.deps import CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute
from rastro.email import subscription_schemas as schemas
from rastro.email.permissions import Read, Write
from rastro.email.service import forms

router = APIRouter(
    prefix="/api/email/forms",
    tags=["email"],
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such form in the caller's organization."}
}


def _base(request: Request) -> str:
    return str(request.app.state.settings.public_url)


@router.get("", response_model=list[schemas.Form])
async def list_forms(request: Request, _: Read, session: CrmSession) -> list[schemas.Form]:
    """The organization's subscription forms with their snippets."""
    return [forms.form_out(_base(request), f) for f in await forms.list_forms(session)]


@router.post("", response_model=schemas.Form, status_code=status.HTTP_201_CREATED)
async def create_form(
    request: Request, body: schemas.FormIn, _: Write, session: CrmSession
) -> schemas.Form:
    """A double opt-in subscription form."""
    return forms.form_out(_base(request), await forms.create_form(session, new=body))


@router.put("/{form_id}", response_model=schemas.Form, responses=NOT_FOUND)
async def update_form(
    request: Request, form_id: uuid.UUID, body: schemas.FormIn, _: Write, session: CrmSession
) -> schemas.Form:
    """Replace a form's settings (its URL stays)."""
    form = await forms.update_form(session, form_id=form_id, change=body)
    return forms.form_out(_base(request), form)


@router.delete("/{form_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_form(form_id: uuid.UUID, _: Write, session: CrmSession) -> None:
    """Delete a form: its URL stops accepting subscriptions."""
    await forms.delete_form(session, form_id=form_id)
