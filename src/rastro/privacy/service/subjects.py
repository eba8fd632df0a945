"""One person across every module and both databases: what each module holds about them
(`collect`) and erasing it everywhere (`erase`). Each module answers for its own tables
through its `service.subject`; this file only asks them in turn."""

from __future__ import annotations

import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics.service import subject as analytics_subject
from rastro.conversions.service import subject as conversions_subject
from rastro.core import outbox
from rastro.core.subjects import ErasedCounts, SubjectRows
from rastro.crm.service import subject as crm_subject
from rastro.email.service import subject as email_subject
from rastro.funnels.monitor.service import subject as monitor_subject
from rastro.funnels.payments.service import subject as payments_subject
from rastro.funnels.recovery.service import subject as recovery_subject
from rastro.integrations.service import subject as integrations_subject
from rastro.tracking.service import subject as tracking_subject

SubjectIds = crm_subject.SubjectIds


def _mentions(ids: SubjectIds) -> list[str]:
    """The values that name the person in free-form payloads (the outbox)."""
    values = [str(i) for i in (*ids.contact_ids, *ids.lead_ids)]
    values += [v for v in (ids.email, ids.phone) if v]
    return values + list(ids.visitor_ids)


async def collect(crm: AsyncSession, bi: AsyncSession, *, ids: SubjectIds) -> SubjectRows:
    """Every row about the person, per store (`table` names; empty stores left out)."""
    rows: SubjectRows = {}
    rows |= await crm_subject.subject_data(crm, ids=ids)
    rows |= await tracking_subject.subject_data(
        bi, visitor_ids=ids.visitor_ids, session_ids=ids.session_ids, lead_ids=ids.lead_ids
    )
    rows |= await analytics_subject.subject_data(
        bi, visitor_ids=ids.visitor_ids, lead_ids=ids.lead_ids
    )
    rows |= await monitor_subject.subject_data(bi, visitor_ids=ids.visitor_ids)
    rows |= await email_subject.subject_data(crm, bi, contact_ids=ids.contact_ids)
    rows |= await payments_subject.subject_data(
        crm, email=ids.email, phone=ids.phone, lead_ids=ids.lead_ids, visitor_ids=ids.visitor_ids
    )
    rows |= await recovery_subject.subject_data(
        crm, email=ids.email, phone=ids.phone, visitor_ids=ids.visitor_ids
    )
    rows |= await conversions_subject.subject_data(crm, lead_ids=ids.lead_ids)
    rows |= await integrations_subject.subject_data(crm, email=ids.email, lead_ids=ids.lead_ids)
    rows["outbox"] = await outbox.messages_mentioning(crm, values=_mentions(ids))
    return {store: found for store, found in rows.items() if found}


async def erase(crm: AsyncSession, bi: AsyncSession, *, ids: SubjectIds) -> ErasedCounts:
    """Erase the person everywhere; how many rows each store changed. The CRM goes last:
    the others find the person's rows by ids the CRM's erasure does not remove, but by
    e-mail and phone too, which it does."""
    erased: ErasedCounts = {}
    outbox_values = _mentions(ids)
    # One random replacement per visitor id, the same in every table: distinct-visitor
    # counts stay equal and nothing leads back to the person's browser.
    replacements = {visitor_id: "x" + secrets.token_hex(16) for visitor_id in ids.visitor_ids}
    erased |= await tracking_subject.erase_subject(
        bi, visitor_replacements=replacements, session_ids=ids.session_ids
    )
    erased |= await analytics_subject.erase_subject(bi, visitor_replacements=replacements)
    erased |= await monitor_subject.erase_subject(bi, visitor_replacements=replacements)
    erased |= await email_subject.erase_subject(crm, bi, contact_ids=ids.contact_ids)
    erased |= await payments_subject.erase_subject(
        crm, email=ids.email, phone=ids.phone, lead_ids=ids.lead_ids, visitor_ids=ids.visitor_ids
    )
    erased |= await recovery_subject.erase_subject(
        crm, email=ids.email, phone=ids.phone, visitor_ids=ids.visitor_ids
    )
    erased |= await conversions_subject.erase_subject(crm, lead_ids=ids.lead_ids)
    erased |= await integrations_subject.erase_subject(crm, email=ids.email, lead_ids=ids.lead_ids)
    erased["outbox"] = await outbox.discard_delivered_mentioning(crm, values=outbox_values)
    erased |= await crm_subject.erase_subject(crm, ids=ids)
    return {store: count for store, count in erased.items() if count}
