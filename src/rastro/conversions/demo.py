"""Demo conversions: Meta and UTMify credentials pointing at Rastro's own sandbox
(`rastro.conversions.sandbox`), and won deals with conversions in every delivery state
and the sync log that led there, so the conversions page, its filters and the log can be
explored without an ad account.

The CRM demo's won leads created their conversions before any account was connected:
those stay `not_applicable` (no credential), as they would in a real organization. The
others get one story each — sent; failed after a retry; waiting after a 429 or not yet
sent (the worker sends them to the sandbox); expired past the platforms' age limits;
refunded after it was sent. Payloads and reasons come from the connectors themselves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.conversions.connectors import CONNECTORS
from rastro.conversions.connectors.base import Connector, ConversionRecord
from rastro.conversions.models import ConversionSync, OfflineConversion, PlatformSyncLog
from rastro.conversions.service import records
from rastro.conversions.service import settings as conversion_settings
from rastro.core.db import Scope
from rastro.core.ids import uuid7
from rastro.core.module import DemoContext
from rastro.core.security import Keyring
from rastro.crm.schemas import LeadConversionFacts
from rastro.crm.service import facts as lead_facts

META_TOKEN = "sandbox-meta-system-user-token"
META_PIXEL = "100000000000001"
UTMIFY_TOKEN = "sandbox-utmify-api-credential"


@dataclass(frozen=True)
class Story:
    """What happened to one demo conversion on Meta and on UTMify."""

    name: str
    age: timedelta  # how long ago the sale closed
    meta: str
    utmify: str
    refunded: bool = False


STORIES = (
    Story("sent", timedelta(days=2), meta="sent", utmify="sent"),
    Story("failed", timedelta(days=1), meta="failed", utmify="sent"),
    Story("retrying", timedelta(hours=5), meta="retrying", utmify="pending"),
    Story("expired", timedelta(days=10), meta="expired", utmify="expired"),
    Story("refunded", timedelta(days=3), meta="sent", utmify="sent", refunded=True),
)


async def _add_credentials(
    session: AsyncSession, keyring: Keyring, base_url: str
) -> dict[str, uuid.UUID]:
    sandbox = f"{base_url.rstrip('/')}/api/sandbox"
    meta = await credentials.create_credential(
        session,
        keyring,
        name="Meta (sandbox)",
        service="meta",
        api_key=META_TOKEN,
        api_secret=None,
        api_url=f"{sandbox}/meta",
        settings={"pixel_id": META_PIXEL},
        is_active=True,
        created_by_id=None,
    )
    utmify = await credentials.create_credential(
        session,
        keyring,
        name="UTMify (sandbox)",
        service="utmify",
        api_key=UTMIFY_TOKEN,
        api_secret=None,
        api_url=f"{sandbox}/utmify",
        settings={"platform_name": "Rastro demo", "is_test": True},
        is_active=True,
        created_by_id=None,
    )
    return {"meta": meta.id, "utmify": utmify.id}


class _Writer:
    """Writes a delivery state and its log rows the way the sync jobs do."""

    def __init__(
        self,
        session: AsyncSession,
        keyring: Keyring,
        accounts: dict[str, uuid.UUID],
    ) -> None:
        self.session = session
        self.keyring = keyring
        self.accounts = accounts

    async def delivery(
        self,
        conversion: OfflineConversion,
        lead: LeadConversionFacts,
        platform: str,
        state: str,
        now: datetime,
    ) -> str:
        """Give the conversion's delivery on `platform` the story's state; returns the
        delivery status."""
        connector = CONNECTORS[platform]
        rules = await conversion_settings.current(self.session)
        action = conversion_settings.action_of(rules, conversion.conversion_name, platform)
        record = records.record_of(conversion, lead, action)
        sync = await self.session.get(ConversionSync, (conversion.conversion_id, platform))
        if sync is None:
            sync = ConversionSync(
                conversion_id=conversion.conversion_id,
                platform=platform,
                organization_id=conversion.organization_id,
            )
            self.session.add(sync)
        sync.credential_id = self.accounts[platform]
        sync.attempts = 0
        sync.reason = None
        sync.next_attempt_at = None
        sync.sent_at = None
        sync.last_attempt_at = None
        resolved = await credentials.resolve_credential(
            self.session, self.keyring, self.accounts[platform]
        )
        summary = connector.request_summary(resolved)
        at = conversion.conversion_date + timedelta(minutes=1)
        status = state
        if state == "expired":
            sync.reason = connector.too_old(record, now)
        elif state == "pending":
            sync.next_attempt_at = now
        elif state == "sent":
            if conversion.order_status != "paid" and connector.reports_order_status:
                # Posted as paid first, then again when it was refunded.
                paid = replace(record, order_status="paid", refunded_at=None)
                self._log(sync, connector, paid, summary, at, "success", None, 200)
                at = conversion.refunded_at or at
            self._log(sync, connector, record, summary, at, "success", None, 200)
            sync.sent_at = at
        elif state == "retrying":
            reason = "Meta error 17: User request limit reached (fbtrace_id AdemoTrace)"
            self._log(sync, connector, record, summary, at, "retrying", reason, 429)
            sync.reason = reason
            sync.next_attempt_at = now + timedelta(minutes=20)
            status = "pending"
        elif state == "failed":
            first = "Meta error 2: Service temporarily unavailable (fbtrace_id AdemoTrace)"
            self._log(sync, connector, record, summary, at, "retrying", first, 503)
            reason = (
                "Meta error 190: Invalid OAuth access token - Cannot parse access token "
                "(fbtrace_id AdemoTrace)"
            )
            later = at + timedelta(minutes=2)
            self._log(sync, connector, record, summary, later, "failed", reason, 401)
            sync.reason = reason
        sync.status = status
        conversion.sync_status = {**conversion.sync_status, platform: status}
        return status

    def _log(
        self,
        sync: ConversionSync,
        connector: Connector,
        record: ConversionRecord,
        summary: dict[str, Any],
        at: datetime,
        status: str,
        error: str | None,
        http_status: int,
    ) -> None:
        sync.attempts += 1
        sync.last_attempt_at = at
        batch_id = uuid7()
        sync.last_batch_id = batch_id
        if status == "success":
            response: dict[str, Any] = (
                {"OK": True}
                if connector.platform == "utmify"
                else {"events_received": 1, "messages": [], "fbtrace_id": "AdemoTrace"}
            )
        elif connector.platform == "meta":
            code = {429: 17, 503: 2, 401: 190}.get(http_status, 100)
            response = {"error": {"message": error, "type": "OAuthException", "code": code}}
        else:
            response = {"message": error}
        self.session.add(
            PlatformSyncLog(
                conversion_id=sync.conversion_id,
                platform=sync.platform,
                batch_id=batch_id,
                attempt=sync.attempts,
                sync_status=status,
                request_payload={
                    "request": {**summary, "batch_id": str(batch_id), "events": 1},
                    "event": connector.loggable(connector.event(record)),
                },
                response_data=response,
                error_message=error,
                http_status_code=http_status,
                synced_at=at,
            )
        )


async def load_demo(context: DemoContext) -> str | None:
    if not context.encryption_key:
        return None
    keyring = Keyring(context.encryption_key)
    now = datetime.now(UTC)
    async with context.databases.crm.transaction(
        Scope.organization(context.organization_id)
    ) as session:
        existing = list(
            await session.scalars(
                select(OfflineConversion).order_by(OfflineConversion.conversion_date)
            )
        )
        leads = await lead_facts.leads_with_email(session)
        if not leads:
            return None
        converted = {conversion.lead_id for conversion in existing}
        spare = [lead for lead in leads if lead.lead_id not in converted]
        # A conversion from before the accounts were connected stays not applicable.
        if not existing and spare:
            lead = spare.pop()
            created = await records.create_conversion(
                session,
                lead=lead,
                conversion_name="purchase",
                value=Decimal("1500.00"),
                currency=None,
                conversion_date=now - timedelta(days=4),
                order_id=None,
                origin="won",
            )
            existing.append(created.conversion)
        accounts = await _add_credentials(session, keyring, context.base_url)
        writer = _Writer(session, keyring, accounts)
        by_lead = {lead.lead_id: lead for lead in leads}
        counts: dict[str, int] = {}
        for story in STORIES:
            if spare:
                lead = spare.pop(0)
                created = await records.create_conversion(
                    session,
                    lead=lead,
                    conversion_name="purchase",
                    value=lead.stage_value or Decimal("4900.00"),
                    currency=None,
                    conversion_date=now - story.age,
                    order_id=f"DEMO-{story.name.upper()}-{str(lead.lead_id)[-6:]}",
                    origin="api",
                )
                conversion = created.conversion
            elif len(existing) > 1:
                conversion = existing.pop()
                lead = by_lead[conversion.lead_id]
            else:
                break
            conversion.conversion_date = now - story.age
            if story.refunded:
                conversion.order_status = "refunded"
                conversion.refunded_at = conversion.conversion_date + timedelta(days=1)
            for platform, state in (("meta", story.meta), ("utmify", story.utmify)):
                status = await writer.delivery(conversion, lead, platform, state, now)
                counts[status] = counts.get(status, 0) + 1
        await session.flush()
        if any(sync.status == "pending" for sync in await session.scalars(select(ConversionSync))):
            await records.queue_sync(session, context.organization_id)
        total = len(list(await session.scalars(select(OfflineConversion.conversion_id))))
    summary = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
    return (
        f"Conversions: {total}, deliveries {summary}; Meta and UTMify sandbox credentials "
        f"at {context.base_url}/api/sandbox"
    )
