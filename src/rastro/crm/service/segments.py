"""Contacts selected by what the CRM knows of them, for other modules' saved filters
(the e-mail module's audiences): queries of contact ids to embed in their own queries,
scoped by the session's organization like every CRM read (row-level security)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, union_all
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql.elements import ColumnElement

from rastro.crm.models import Activity, Lead


def latest_lead_contacts(
    *,
    stages: Sequence[str] = (),
    grades: Sequence[str] = (),
    sources: Sequence[str] = (),
    campaigns: Sequence[str] = (),
) -> Select[Any]:
    """The ids of contacts whose latest lead is in one of `stages`, has one of `grades`
    (A best … D), came from one of `sources` and one of `campaigns` (its UTM source and
    campaign, compared without case); an empty list does not filter."""
    latest = (
        select(
            Lead.contact_id,
            Lead.current_stage,
            Lead.lead_score,
            Lead.source,
            Lead.campaign,
        )
        .ext(distinct_on(Lead.contact_id))
        .order_by(Lead.contact_id, Lead.created_at.desc(), Lead.lead_id.desc())
        .subquery()
    )
    conditions: list[ColumnElement[bool]] = []
    if stages:
        conditions.append(latest.c.current_stage.in_(list(stages)))
    if grades:
        conditions.append(latest.c.lead_score.in_(list(grades)))
    if sources:
        conditions.append(func.lower(latest.c.source).in_([s.lower() for s in sources]))
    if campaigns:
        conditions.append(func.lower(latest.c.campaign).in_([c.lower() for c in campaigns]))
    return select(latest.c.contact_id).where(*conditions)


def active_contacts(*, since: datetime) -> Select[Any]:
    """The ids of contacts the CRM saw act at or after `since`: a lead created, or an
    activity recorded on the contact or on one of its leads."""
    return (
        union_all(
            select(Lead.contact_id).where(Lead.created_at >= since),
            select(Activity.contact_id).where(
                Activity.contact_id.is_not(None), Activity.created_at >= since
            ),
            select(Lead.contact_id)
            .join(Activity, Activity.lead_id == Lead.lead_id)
            .where(Activity.created_at >= since),
        )
        .subquery()
        .select()
    )
