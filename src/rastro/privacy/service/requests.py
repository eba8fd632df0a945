"""Data-subject requests (LGPD art. 18, GDPR art. 15 and 17): a person asks what is held
about them (export) or to be erased. A request is received, then run by an administrator
(once they have checked who is asking) or rejected with a reason; the LGPD gives 15 days
to answer, which the page counts down.

The e-mail and phone the request names are kept only while it is open: once done or
rejected only masks remain (`j***@example.com`), so an erased person is not findable in
the requests either. The proof keeps counts per store and the forwarding results, never
the data itself."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.conversions.service import subject as conversions_subject
from rastro.core.pagination import PageParams, paginate
from rastro.core.personal import blind_index
from rastro.core.security import Keyring
from rastro.core.subjects import counts
from rastro.crm.service import subject as crm_subject
from rastro.integrations.service import erasure
from rastro.privacy.errors import ExportNotReady, SubjectRequestClosed, SubjectRequestNotFound
from rastro.privacy.models import SubjectRequest
from rastro.privacy.schemas import (
    ForwardResult,
    RequestKind,
    SubjectProof,
    SubjectRequestOut,
)
from rastro.privacy.service import subjects

ANSWER_WITHIN = timedelta(days=15)  # LGPD art. 19, II


def _now() -> datetime:
    return datetime.now(UTC)


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:]


def request_out(row: SubjectRequest, *, now: datetime | None = None) -> SubjectRequestOut:
    """The API's view: identifiers masked once closed, the days left to answer."""
    now = now or _now()
    open_ = row.status in ("received", "in_progress")
    days_left = math.ceil((row.due_at - now).total_seconds() / 86400) if open_ else 0
    return SubjectRequestOut(
        request_id=row.request_id,
        kind=row.kind,
        status=row.status,
        email=row.subject_email if open_ and row.subject_email else row.email_mask,
        phone=row.subject_phone if open_ and row.subject_phone else row.phone_mask,
        received_at=row.received_at,
        due_at=row.due_at,
        days_left=days_left,
        started_at=row.started_at,
        finished_at=row.finished_at,
        rejection_reason=row.rejection_reason,
        proof=SubjectProof.model_validate(row.proof or {}),
        has_export=row.export_data is not None,
    )


async def create_request(
    session: AsyncSession,
    *,
    kind: RequestKind,
    email: str | None,
    phone: str | None,
    requested_by: uuid.UUID | None,
) -> SubjectRequest:
    """Record a request (the e-mail and phone normalized; a 422 if either is invalid)."""
    query = await crm_subject.subject_query(session, email=email, phone=phone)
    now = _now()
    row = SubjectRequest(
        kind=kind,
        status="received",
        subject_email=query.email,
        subject_email_index=blind_index("email", query.email),
        subject_phone=query.phone,
        subject_phone_index=blind_index("phone", query.phone),
        email_mask=mask_email(query.email) if query.email else None,
        phone_mask=mask_phone(query.phone) if query.phone else None,
        received_at=now,
        due_at=now + ANSWER_WITHIN,
        requested_by=requested_by,
        proof={},
    )
    session.add(row)
    await session.flush()
    return row


async def get_request(session: AsyncSession, request_id: uuid.UUID) -> SubjectRequest:
    row = await session.get(SubjectRequest, request_id)
    if row is None:
        raise SubjectRequestNotFound()
    return row


async def list_requests(
    session: AsyncSession, *, page: PageParams
) -> tuple[Sequence[SubjectRequest], int]:
    """The organization's requests, newest first."""
    query = select(SubjectRequest).order_by(
        SubjectRequest.received_at.desc(), SubjectRequest.request_id.desc()
    )
    return await paginate(session, query, page)


def _close(row: SubjectRequest, status: str) -> None:
    row.status = status
    row.finished_at = _now()
    row.subject_email = None
    row.subject_phone = None
    if row.export_data is None:  # else kept to find the export when the person is erased
        row.subject_email_index = None
        row.subject_phone_index = None


async def reject_request(
    session: AsyncSession, *, request_id: uuid.UUID, reason: str
) -> SubjectRequest:
    """Refuse an open request (e.g. the asker's identity could not be confirmed)."""
    row = await get_request(session, request_id)
    if row.status not in ("received", "in_progress"):
        raise SubjectRequestClosed()
    row.rejection_reason = reason
    _close(row, "rejected")
    await session.flush()
    return row


async def run_request(
    crm: AsyncSession,
    bi: AsyncSession,
    keyring: Keyring,
    *,
    request_id: uuid.UUID,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SubjectRequest:
    """Answer an open request: find the person in every store; for an export keep the
    JSON to download, for an erasure erase them everywhere and forward the deletion to
    the CRMs that take it. Done with "nothing found" when no store knows them."""
    row = await get_request(crm, request_id)
    if row.status not in ("received", "in_progress"):
        raise SubjectRequestClosed()
    row.status = "in_progress"
    row.started_at = _now()
    query = await crm_subject.subject_query(crm, email=row.subject_email, phone=row.subject_phone)
    ids = await crm_subject.find_subject(crm, query=query)
    found = await subjects.collect(crm, bi, ids=ids)
    proof = SubjectProof(found=counts(found), searched_at=_now())
    if row.kind == "export":
        row.export_data = _export_document(row, found)
    else:
        proof.forwarded = await _forward(crm, keyring, ids=ids, transport=transport)
        proof.erased = await subjects.erase(crm, bi, ids=ids)
        dropped = await _drop_exports(crm, ids=ids)
        if dropped:
            proof.erased["privacy_subject_requests"] = dropped
        proof.erased_at = _now()
    row.proof = proof.model_dump(mode="json")
    _close(row, "done")
    await crm.flush()
    return row


async def _forward(
    crm: AsyncSession,
    keyring: Keyring,
    *,
    ids: subjects.SubjectIds,
    transport: httpx.AsyncBaseTransport | None,
) -> list[ForwardResult]:
    results = [
        ForwardResult(
            platform=outcome.platform,
            destination=outcome.destination,
            status=outcome.status,
            detail=outcome.detail,
        )
        for outcome in await erasure.forward_erasure(
            crm, keyring, email=ids.email, transport=transport
        )
    ]
    platforms = await conversions_subject.platforms_sent(crm, lead_ids=ids.lead_ids)
    results += [
        ForwardResult(platform=platform, status="unsupported", detail=why)
        for platform, why in sorted(platforms.items())
    ]
    return results


async def _drop_exports(crm: AsyncSession, *, ids: subjects.SubjectIds) -> int:
    """Earlier exports of the person hold their data: an erasure drops them too."""
    conditions = []
    if ids.email:
        conditions.append(SubjectRequest.subject_email_index == blind_index("email", ids.email))
    if ids.phone:
        conditions.append(SubjectRequest.subject_phone_index == blind_index("phone", ids.phone))
    if not conditions:
        return 0
    result = await crm.execute(
        update(SubjectRequest)
        .where(SubjectRequest.export_data.is_not(None), or_(*conditions))
        .values(export_data=None, subject_email_index=None, subject_phone_index=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _export_document(row: SubjectRequest, found: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "request_id": str(row.request_id),
        "generated_at": _now().isoformat(),
        "subject": {"email": row.subject_email, "phone": row.subject_phone},
        "stores": found,
    }


async def export_document(session: AsyncSession, *, request_id: uuid.UUID) -> dict[str, Any]:
    """The JSON answer of a finished export request."""
    row = await get_request(session, request_id)
    if row.kind != "export" or row.status != "done" or row.export_data is None:
        raise ExportNotReady()
    return dict(row.export_data)
