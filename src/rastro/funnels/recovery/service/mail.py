"""The recovery's e-mail channel: a detected case handed to the e-mail module's sequences
(`rastro.email.service.sequences.triggers.recovery_detected`), which never imports the
funnels. An abandoned checkout enrolls its buyer in the active `checkout_abandoned`
sequences; an unpaid PIX gives its `pix_unpaid` enrollments (made when the PIX was
generated) the resume link. Either way the buyer's e-mails can use `{{ resume_url }}`
(the checkout pre-filled with their data, or the pending PIX), `{{ product_name }}`,
`{{ amount }}` and `{{ pix_copy_paste }}`. Registered on import (this module's
`module.py`); it runs in the detection's transaction and only queues."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.email.service.sequences import triggers
from rastro.funnels.recovery.schemas import RecoveryOpportunity
from rastro.funnels.recovery.service import links
from rastro.funnels.recovery.service.hooks import on_recovery_opportunity


@on_recovery_opportunity
async def sequence_recovery(session: AsyncSession, opportunity: RecoveryOpportunity) -> str | None:
    """Enroll (or give the link to) the buyer's recovery e-mails; `email` when any will
    carry it, None when no active sequence takes the case."""
    if opportunity.kind not in ("checkout_abandoned", "pix_unpaid"):
        return None
    fields = {
        "resume_url": opportunity.resume_url,
        "product_name": opportunity.product_name or "",
        "amount": links.format_amount(
            opportunity.amount, opportunity.currency, opportunity.language
        ),
        "pix_copy_paste": opportunity.pix_copy_paste or "",
    }
    taken = await triggers.recovery_detected(
        session,
        kind=opportunity.kind,
        # The unpaid PIX's enrollments are named by its payment; an abandoned checkout's
        # by its case.
        source_ref=str(opportunity.payment_id or opportunity.case_id),
        email=opportunity.email,
        name=opportunity.name,
        fields=fields,
    )
    return "email" if taken else None
