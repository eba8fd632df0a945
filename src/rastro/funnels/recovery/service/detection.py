"""Detection, every minute: unpaid PIX/boleto charges (`service.unpaid`) and abandoned
checkouts (`service.abandoned`) past their funnel's delay become recovery cases, once
each, with their actions (`service.actions`). `now` is the caller's clock (the job's,
or a test's fixed one)."""

from __future__ import annotations

from datetime import datetime

import structlog

from rastro.core.units import TransactionBoundary
from rastro.funnels.recovery.service.abandoned import detect_abandoned
from rastro.funnels.recovery.service.actions import Detected, LinkSigner
from rastro.funnels.recovery.service.unpaid import detect_unpaid

log = structlog.get_logger(__name__)


async def detect_due(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    *,
    signer: LinkSigner,
    now: datetime,
) -> list[Detected]:
    """Every organization's unpaid charges, then abandoned checkouts, due at `now`."""
    detected = await detect_unpaid(crm, bi, signer=signer, now=now)
    detected += await detect_abandoned(crm, bi, signer=signer, now=now)
    if detected:
        log.info("recovery.detected", cases=len(detected))
    return detected
