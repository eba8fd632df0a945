"""Routes of contact imports from CSV (`/api/email/contacts/imports…`): upload, start with
a column mapping, progress, and the skipped rows as a CSV of row number and error code."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response, status

from rastro.core import uploads
from rastro.core.csv_export import csv_response
from rastro.core.deps import CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute
from rastro.email import subscription_schemas as schemas
from rastro.email.permissions import Read, Write
from rastro.email.service import imports

router = APIRouter(
    prefix="/api/email/contacts/imports",
    tags=["email"],
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such import in the caller's organization."}
}
_FILE_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.post(
    "",
    response_model=schemas.ImportUpload,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_FILE_FORM,
    responses={413: {"description": "A file over 20 MB or 200,000 rows"}},
)
async def upload_import(request: Request, _: Write, session: CrmSession) -> schemas.ImportUpload:
    """Upload a CSV of contacts: its columns, first rows and a suggested mapping."""
    form = await uploads.read_form(request, max_bytes=imports.MAX_BYTES)
    _run, upload = await imports.create_import(
        session, file_name=form.file_name or "contacts.csv", content=form.required_file()
    )
    return upload


@router.get("", response_model=list[schemas.ContactImport])
async def list_imports(_: Read, session: CrmSession) -> list[schemas.ContactImport]:
    """The latest imports, newest first."""
    return [schemas.ContactImport.model_validate(r) for r in await imports.list_imports(session)]


@router.get("/{import_id}", response_model=schemas.ContactImport, responses=NOT_FOUND)
async def get_import(import_id: uuid.UUID, _: Read, session: CrmSession) -> schemas.ContactImport:
    """An import's progress: rows done of the total, created, updated and skipped."""
    return schemas.ContactImport.model_validate(
        await imports.get_import(session, import_id=import_id)
    )


@router.post(
    "/{import_id}/start",
    response_model=schemas.ContactImport,
    status_code=status.HTTP_202_ACCEPTED,
    responses={**NOT_FOUND, 409: {"description": "The import has started already"}},
)
async def start_import(
    import_id: uuid.UUID, body: schemas.ImportStart, _: Write, session: CrmSession
) -> schemas.ContactImport:
    """Import the file's rows with this column mapping, as a background job."""
    run = await imports.start_import(session, import_id=import_id, start=body)
    return schemas.ContactImport.model_validate(run)


@router.get(
    "/{import_id}/errors.csv",
    response_class=Response,
    responses={
        **NOT_FOUND,
        200: {"description": "row,code per skipped row", "content": {"text/csv": {}}},
    },
)
async def import_errors(import_id: uuid.UUID, _: Read, session: CrmSession) -> Response:
    """The skipped rows: line in the file (the header is line 1) and error code."""
    rows = await imports.import_errors(session, import_id=import_id)
    return csv_response(f"import-{import_id}-errors.csv", ["row", "code"], rows)
