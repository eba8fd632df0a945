"""The recovery cases as the sales team sees them: newest first, with the buyer's
first name and phone, the campaign, the actions, and the pre-filled WhatsApp link; and
the WhatsApp action marked sent when someone opens it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import NotFound
from rastro.core.pagination import PageParams
from rastro.funnels.builder.service import funnels
from rastro.funnels.recovery import schemas
from rastro.funnels.recovery.models import RecoveryAction, RecoveryCase
from rastro.funnels.recovery.service import links
from rastro.funnels.recovery.service.actions import LinkSigner
from rastro.funnels.recovery.service.settings import effective_settings


def _whatsapp_url(
    row: RecoveryCase, settings: schemas.RecoverySettings | None, signer: LinkSigner
) -> str | None:
    message = links.whatsapp_message(
        kind=row.kind,
        language=settings.language if settings else "pt-BR",
        template=settings.whatsapp_message if settings else None,
        name=row.contact.get("name"),
        product=row.product_name,
        amount=row.amount,
        currency=row.currency,
        link=signer.resume_url(row),
    )
    return links.whatsapp_url(row.contact.get("phone"), message)


async def list_cases(
    session: AsyncSession,
    params: PageParams,
    *,
    signer: LinkSigner,
    funnel_id: uuid.UUID | None = None,
    recovered: bool | None = None,
) -> schemas.RecoveryCasePage:
    """The organization's cases, newest first (optionally one funnel's — 404 for another
    organization's — recovered or not)."""
    query = select(RecoveryCase)
    if funnel_id is not None:
        await funnels.get_funnel_row(session, funnel_id)
        query = query.where(RecoveryCase.funnel_id == funnel_id)
    if recovered is not None:
        query = query.where(
            RecoveryCase.recovered_at.is_not(None)
            if recovered
            else RecoveryCase.recovered_at.is_(None)
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        await session.scalars(
            query.order_by(RecoveryCase.detected_at.desc(), RecoveryCase.id)
            .offset((params.page - 1) * params.page_size)
            .limit(params.page_size)
        )
    )
    actions: dict[uuid.UUID, list[RecoveryAction]] = {row.id: [] for row in rows}
    if rows:
        for action in await session.scalars(
            select(RecoveryAction)
            .where(RecoveryAction.case_id.in_(list(actions)))
            .order_by(RecoveryAction.channel)
        ):
            actions[action.case_id].append(action)
    # One read of the settings per funnel on the page, not one per case.
    funnel_settings = {
        funnel_id: await effective_settings(session, funnel_id)
        for funnel_id in {row.funnel_id for row in rows}
    }
    items = [
        schemas.RecoveryCaseOut(
            id=row.id,
            kind=row.kind,
            funnel_id=row.funnel_id,
            payment_id=row.payment_id,
            first_name=links.first_name(row.contact.get("name")),
            phone=row.contact.get("phone"),
            product_name=row.product_name,
            amount=row.amount,
            currency=row.currency,
            utm_source=row.utm_source,
            utm_campaign=row.utm_campaign,
            detected_at=row.detected_at,
            resume_expires_at=row.resume_expires_at,
            resumed_at=row.resumed_at,
            recovered_at=row.recovered_at,
            recovered_amount=row.recovered_amount,
            whatsapp_url=_whatsapp_url(row, funnel_settings[row.funnel_id], signer),
            actions=[schemas.RecoveryActionOut.model_validate(a) for a in actions[row.id]],
        )
        for row in rows
    ]
    return schemas.RecoveryCasePage(items=items, total=total)


async def mark_whatsapp_sent(
    session: AsyncSession, case_id: uuid.UUID, *, now: datetime | None = None
) -> schemas.RecoveryActionOut:
    """The sales team opened the case's WhatsApp message: its action is sent (once; 404
    for an unknown case or one without a phone)."""
    action = await session.scalar(
        select(RecoveryAction)
        .where(RecoveryAction.case_id == case_id, RecoveryAction.channel == "whatsapp")
        .with_for_update()
    )
    if action is None:
        raise NotFound("No WhatsApp action for this case.")
    if action.status != "sent":
        action.status = "sent"
        action.attempts += 1
        action.sent_at = now or datetime.now(UTC)
        await session.flush()
    return schemas.RecoveryActionOut.model_validate(action)
