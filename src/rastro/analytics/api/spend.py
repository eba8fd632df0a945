"""Routes of ad spend: the ad accounts, backfills, the import runs, the spend rows and
the CSV upload (preview, then import with a column mapping)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response, status

from rastro.analytics import spend_schemas as schemas
from rastro.analytics.jobs import queue_spend_import
from rastro.analytics.permissions import Admin, Read
from rastro.analytics.service import spend, spend_csv, spend_import
from rastro.auth.service import accounts
from rastro.core import uploads
from rastro.core.deps import BiSession, CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES, UnprocessableEntity
from rastro.core.pagination import Page
from rastro.core.session import TransactionalRoute

router = APIRouter(
    prefix="/api/analytics/spend",
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
    tags=["analytics"],
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not found in the caller's organization."}
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
_IMPORT_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "mapping"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "mapping": {
                            "type": "string",
                            "description": 'JSON object field → column, e.g. {"day": "Date"}',
                        },
                        "source": {"type": "string", "description": "e.g. pinterest (csv)"},
                        "currency": {"type": "string", "description": "ISO 4217, all rows"},
                        "account_id": {"type": "string", "description": "(csv)"},
                        "timezone": {"type": "string", "description": "the org's when empty"},
                    },
                }
            }
        },
    }
}


async def _read_form(request: Request) -> uploads.UploadForm:
    return await uploads.read_form(request, max_bytes=spend_csv.MAX_BYTES)


def _file(form: uploads.UploadForm) -> bytes:
    return form.required_file()


@router.get("/accounts", response_model=list[schemas.AdAccount])
async def list_accounts(_: Read, bi: BiSession) -> list[schemas.AdAccount]:
    """The organization's ad accounts whose spend is imported, each with its newest run."""
    runs = await spend.latest_imports(bi)
    return [
        schemas.AdAccount.model_validate(a).model_copy(
            update={
                "last_run": schemas.SpendImport.model_validate(runs[a.id]) if a.id in runs else None
            }
        )
        for a in await spend.list_accounts(bi)
    ]


@router.post("/accounts", response_model=schemas.AdAccount, status_code=status.HTTP_201_CREATED)
async def create_account(
    body: schemas.AdAccountCreate, _: Admin, bi: BiSession, crm: CrmSession
) -> schemas.AdAccount:
    """Import an ad account's spend daily, read with one of the organization's credentials."""
    return schemas.AdAccount.model_validate(await spend.create_account(bi, crm, body))


@router.delete(
    "/accounts/{account_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND
)
async def delete_account(account_id: uuid.UUID, _: Admin, bi: BiSession) -> Response:
    """Stop importing an ad account (its imported spend stays)."""
    await spend.delete_account(bi, account_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/accounts/{account_id}/backfill",
    response_model=schemas.SpendImport,
    status_code=status.HTTP_202_ACCEPTED,
    responses=NOT_FOUND,
)
async def backfill(
    account_id: uuid.UUID,
    body: schemas.BackfillRequest,
    _: Admin,
    bi: BiSession,
    crm: CrmSession,
) -> schemas.SpendImport:
    """Import up to 13 months of the account's spend now; follow its progress in the
    import log."""
    account = await spend.get_account(bi, account_id)
    first, last = spend_import.backfill_range(account, body.months, datetime.now(UTC))
    run = await spend.create_import(
        bi,
        kind="backfill",
        platform=account.platform,
        account=account,
        date_from=first,
        date_to=last,
    )
    await queue_spend_import(crm, account.organization_id, run.id, account.id)
    return schemas.SpendImport.model_validate(run)


@router.get("/imports", response_model=Page[schemas.SpendImport])
async def list_imports(
    _: Read, bi: BiSession, params: Pagination, ad_account_id: uuid.UUID | None = None
) -> Page[schemas.SpendImport]:
    """The import runs, newest first: rows, errors, duration, status and progress."""
    runs, total = await spend.list_imports(bi, params, ad_account_id=ad_account_id)
    return Page.of([schemas.SpendImport.model_validate(r) for r in runs], total, params)


@router.get("", response_model=Page[schemas.SpendRow])
async def list_spend(
    _: Read,
    bi: BiSession,
    params: Pagination,
    date_from: Annotated[date, Query(description="First day (each account's own days)")],
    date_to: Annotated[date, Query(description="Last day, inclusive")],
    platform: Annotated[str | None, Query(max_length=20)] = None,
    account_id: Annotated[str | None, Query(max_length=64)] = None,
    campaign_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[schemas.SpendRow]:
    """Spend per ad and day for a range, with the current names, each row in its currency."""
    rows, total = await spend.list_rows(
        bi,
        params,
        date_from=date_from,
        date_to=date_to,
        platform=platform,
        account_id=account_id,
        campaign_id=campaign_id,
    )
    return Page.of(rows, total, params)


@router.post("/csv/preview", response_model=schemas.CsvPreview, openapi_extra=_FILE_FORM)
async def preview_csv(request: Request, _: Admin) -> schemas.CsvPreview:
    """The uploaded CSV's columns, first rows and the mapping guessed from its headers."""
    return spend_csv.preview(_file(await _read_form(request)))


@router.post(
    "/csv",
    response_model=schemas.SpendImport,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_IMPORT_FORM,
)
async def import_csv(
    request: Request, principal: Admin, bi: BiSession, crm: CrmSession
) -> schemas.SpendImport:
    """Import spend from a CSV with the confirmed column mapping; any bad row refuses the
    file with the list of row errors."""
    form = await _read_form(request)
    content = _file(form)
    try:
        mapping = orjson.loads(form.fields.get("mapping") or "null")
    except orjson.JSONDecodeError:
        mapping = None
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise UnprocessableEntity(
            "The mapping is a JSON object of field → column.",
            details=[{"loc": "body.mapping", "message": "a JSON object", "type": "mapping"}],
        )
    organization = await accounts.get_organization(crm, principal.organization_id)
    try:
        options = schemas.CsvOptions(
            source=form.fields.get("source") or "csv",
            currency=form.fields.get("currency") or None,
            account_id=form.fields.get("account_id") or "csv",
            timezone=form.fields.get("timezone") or organization.timezone,
        )
    except ValueError as error:
        raise UnprocessableEntity(
            "The form fields are not valid.",
            details=[{"loc": "body", "message": str(error)[:500], "type": "value_error"}],
        ) from None
    run = await spend_csv.import_csv(
        bi,
        principal.organization_id,
        content,
        mapping=mapping,
        source=options.source,
        currency=options.currency,
        account_id=options.account_id,
        timezone=options.timezone,
    )
    return schemas.SpendImport.model_validate(run)
