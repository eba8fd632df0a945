"""Retention: each organization's setting, and the anonymisation that applies it.

`anonymise_organization` asks every module that owns personal data to anonymise its rows
older than the retention (`<module>.service.privacy.anonymise_before`): each module's work
is its own transaction, so one module's failure neither undoes nor blocks the others; the
run records what each changed (or the class of its error) in `privacy_anonymisation_runs`.
Aggregates are untouched by construction: the modules keep every column a report, a rollup
or an attribution model reads (tests/privacy/test_anonymisation_reports.py checks it).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Protocol

import structlog
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.conversions.service import privacy as conversions_privacy
from rastro.core.db import Scope
from rastro.core.units import TransactionBoundary
from rastro.crm.service import privacy as crm_privacy
from rastro.integrations.service import privacy as integrations_privacy
from rastro.privacy.retention.models import DEFAULT_MONTHS, AnonymisationRun, RetentionSetting
from rastro.privacy.retention.schemas import AnonymisationRunOut, Retention
from rastro.tracking.service import privacy as tracking_privacy

logger = structlog.get_logger(__name__)


class Anonymise(Protocol):
    """A module's `service.privacy.anonymise_before`."""

    async def __call__(
        self, session: AsyncSession, scope: Scope, *, cutoff: datetime
    ) -> dict[str, int]: ...


# Which database each module's rows live in, and its anonymisation.
CRM_MODULES: dict[str, Anonymise] = {
    "crm": crm_privacy.anonymise_before,
    "integrations": integrations_privacy.anonymise_before,
    "conversions": conversions_privacy.anonymise_before,
}
BI_MODULES: dict[str, Anonymise] = {"tracking": tracking_privacy.anonymise_before}


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (the day clamped to the month's
    last: 31 August minus 6 months is 28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    next_month = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=moment.tzinfo)
    last_day = (next_month - datetime(year, month, 1, tzinfo=moment.tzinfo)).days
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


async def retention_months(session: AsyncSession) -> int:
    """The organization's retention (the default when it never set one)."""
    months = await session.scalar(select(RetentionSetting.retention_months))
    return int(months) if months is not None else DEFAULT_MONTHS


async def get_retention(session: AsyncSession) -> Retention:
    """The organization's retention and its latest anonymisation run."""
    last = await session.scalar(
        select(AnonymisationRun).order_by(AnonymisationRun.started_at.desc()).limit(1)
    )
    return Retention(
        retention_months=await retention_months(session),
        last_run=AnonymisationRunOut.model_validate(last) if last is not None else None,
    )


async def set_retention(
    session: AsyncSession, organization_id: uuid.UUID, *, months: int
) -> Retention:
    """Set the organization's retention (validated by the schema: 1 to 60 months)."""
    statement = insert(RetentionSetting).values(
        organization_id=organization_id, retention_months=months
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[RetentionSetting.organization_id],
            set_={"retention_months": months, "updated_at": datetime.now(UTC)},
        )
    )
    await session.flush()
    return await get_retention(session)


async def anonymise_organization(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    organization_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> AnonymisationRunOut:
    """Anonymise everything of the organization older than its retention; each module
    commits on its own, the run is recorded last."""
    started = now or datetime.now(UTC)
    scope = Scope.organization(organization_id)
    async with crm.unit(scope) as session:
        months = await retention_months(session)
    cutoff = months_before(started, months)
    changes: dict[str, dict[str, int | str]] = {}
    for boundary, modules in ((crm, CRM_MODULES), (bi, BI_MODULES)):
        for name, anonymise in modules.items():
            try:
                async with boundary.unit(scope) as session:
                    changes[name] = dict(await anonymise(session, scope, cutoff=cutoff))
            except Exception as error:  # one module's failure is recorded, the others run
                logger.exception(
                    "anonymisation_failed", module=name, organization_id=str(organization_id)
                )
                changes[name] = {"error": type(error).__name__}
    failed = any("error" in part for part in changes.values())
    async with crm.unit(scope) as session:
        run = AnonymisationRun(
            organization_id=organization_id,
            retention_months=months,
            cutoff=cutoff,
            started_at=started,
            finished_at=datetime.now(UTC),
            status="failed" if failed else "done",
            changes=changes,
        )
        session.add(run)
        await session.flush()
        return AnonymisationRunOut.model_validate(run)
