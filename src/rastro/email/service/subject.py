"""A data subject in the e-mail module (the privacy module's export and erasure): the
person's subscription, messages, events, unsubscribes, suppressions, audiences and
sequence enrollments, by their CRM contact ids.

Erasure keeps messages and events counting in the campaigns' figures and drops what
reaches or describes the person: consent and unsubscribe IPs, custom attributes, the
events' details (user agents, provider payloads), audience memberships and enrollments
(nothing more is sent to them; their contact has no address left anyway)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.subjects import ErasedCounts, SubjectRows, rows_where
from rastro.email.event_models import MessageEvent
from rastro.email.models import AudienceContact, EmailContact, Message, Suppression, Unsubscribe
from rastro.email.sequence_models import Enrollment


async def subject_data(
    crm: AsyncSession, bi: AsyncSession, *, contact_ids: Sequence[uuid.UUID]
) -> SubjectRows:
    """What the e-mail module holds about these contacts, per table."""
    if not contact_ids:
        return {}
    rows: SubjectRows = {}
    for name, model in (
        ("email_contacts", EmailContact),
        ("email_messages", Message),
        ("email_unsubscribes", Unsubscribe),
        ("email_suppressions", Suppression),
        ("email_audience_contacts", AudienceContact),
        ("email_sequence_enrollments", Enrollment),
    ):
        rows[name] = await rows_where(crm, model.__table__, model.contact_id.in_(contact_ids))
    rows["email_message_events"] = await rows_where(
        bi, MessageEvent.__table__, MessageEvent.contact_id.in_(contact_ids)
    )
    return rows


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def erase_subject(
    crm: AsyncSession, bi: AsyncSession, *, contact_ids: Sequence[uuid.UUID]
) -> ErasedCounts:
    """Erase what reaches or describes these contacts (see the module's docstring)."""
    if not contact_ids:
        return {}
    erased: ErasedCounts = {}
    subscriptions = await crm.execute(
        update(EmailContact)
        .where(EmailContact.contact_id.in_(contact_ids))
        .values(attributes={}, consent_ip=None, confirmed_ip=None)
    )
    erased["email_contacts"] = _rowcount(subscriptions)
    unsubscribes = await crm.execute(
        update(Unsubscribe)
        .where(Unsubscribe.contact_id.in_(contact_ids))
        .values(ip=None, reason=None)
    )
    erased["email_unsubscribes"] = _rowcount(unsubscribes)
    for name, model in (
        ("email_audience_contacts", AudienceContact),
        ("email_sequence_enrollments", Enrollment),
    ):
        result = await crm.execute(delete(model).where(model.contact_id.in_(contact_ids)))
        erased[name] = _rowcount(result)
    events = await bi.execute(
        update(MessageEvent).where(MessageEvent.contact_id.in_(contact_ids)).values(detail={})
    )
    erased["email_message_events"] = _rowcount(events)
    return erased
