"""The campaign, ad set and ad each lead's credited touch reaches (issue 18), for the Ads
report's leads and profit sides: read from `combination_targets` rather than resolved
per request.

- `store` (the refresh): resolves, through the join's rules (`spend_join.resolve`), every
  combination of `conversion_facts` that has no row yet, and stores the answer (NULLs
  when it reaches no campaign).
- Triggers on the tables the rules read delete the rows a change could alter
  (`migrations/bi/sql/rastro_combination_targets_v1.sql`: names, ids, mappings, clicks).
- `answer` (a report): its statement over the facts outer-joined to the stored rows; when
  some fact's combination has no row (new since the last refresh, or deleted by a
  change), the statement again with those combinations resolved in it. So a report
  answers exactly what resolving every combination per request answers (`stored=False`,
  kept for the tests and the benchmark's A/B). The common case is one statement: a
  separate check for missing rows first cost more than the report (a nested-loop
  anti-join over every fact of the period).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import exists, func, literal, select, true, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, FromClause, Subquery

from rastro.analytics.ad_models import CombinationTarget
from rastro.analytics.models import ConversionFact
from rastro.analytics.service import spend_join
from rastro.core.db import get_scope

TARGET_COLUMNS = ("platform", "account_id", "campaign_id", "ad_set_id", "ad_id")
Answer = TypeVar("Answer")
# The advisory lock's first key (the triggers take it shared per organization).
LOCK_CLASS = 180040


def _fact_combinations(where: Sequence[ColumnElement[bool]], *, stored: bool) -> Any:
    """The distinct combinations of the facts matching `where` (those without a stored row
    when `stored`)."""
    f = ConversionFact.__table__
    t = CombinationTarget.__table__
    query = select(f.c.combination_key, *(f.c[c] for c in spend_join.COMBINATION_COLUMNS)).where(
        *where
    )
    if stored:
        query = query.where(
            ~exists().where(
                t.c.organization_id == f.c.organization_id,
                t.c.combination_key == f.c.combination_key,
            )
        )
    return query.distinct()


async def store(bi: AsyncSession, organization_id: uuid.UUID) -> int | None:
    """Store the target of every fact combination without one; returns how many were
    stored, or None when a writer of what the rules read holds the lock (the next refresh
    stores them)."""
    locked = await bi.scalar(
        select(func.pg_try_advisory_xact_lock(LOCK_CLASS, func.hashtext(str(organization_id))))
    )
    if not locked:
        return None
    # A new statement (a new snapshot): every change committed before the lock is seen.
    facts = ConversionFact.__table__
    combos = _fact_combinations((facts.c.organization_id == organization_id,), stored=True).cte(
        "new_combos"
    )
    resolved = spend_join.resolve(combos).subquery("resolved")
    names = ("combination_key", "click_id", *TARGET_COLUMNS, "rule")
    statement = insert(CombinationTarget).from_select(
        ["organization_id", *names],
        select(
            literal(organization_id),
            combos.c.combination_key,
            combos.c.click_id,
            *(resolved.c[c] for c in (*TARGET_COLUMNS, "rule")),
        ).outerjoin(resolved, resolved.c.combination_key == combos.c.combination_key),
    )
    result = await bi.execute(
        statement.on_conflict_do_nothing().returning(CombinationTarget.combination_key)
    )
    return len(result.all())


def own_rows(bi: AsyncSession, table: FromClause) -> ColumnElement[bool]:
    """The session's organization as a condition on a Core table's rows. Row-level security
    keeps other organizations' rows out anyway, but its policy ORs the organization with
    the system scope, so the planner cannot use it to enter an (organization_id, moment)
    index: without this, a period of 30 days read every fact of the organization."""
    scope = get_scope(bi)
    if scope is None or scope.organization_id is None:  # the system scope reads every row
        return true()
    return table.c.organization_id == scope.organization_id


def reached(targets: Subquery) -> ColumnElement[bool]:
    """Whether a fact outer-joined to `targets` reaches a campaign."""
    return targets.c.platform.is_not(None)


def known(targets: Subquery) -> ColumnElement[bool]:
    """Whether a fact outer-joined to `targets` found its combination's row."""
    return targets.c.combination_key.is_not(None)


def _targets(where: Sequence[ColumnElement[bool]], *, stored: bool, missing: bool) -> Subquery:
    """combination_key and the target's platform, account_id, campaign_id, ad_set_id and
    ad_id: every stored row (platform NULL: reaches none) when `stored`, and, when
    `missing`, the combinations of the facts matching `where` without one resolved in the
    statement (every combination when not `stored`)."""
    t = CombinationTarget.__table__
    parts = []
    if stored:
        parts.append(select(t.c.combination_key, *(t.c[c] for c in TARGET_COLUMNS)))
    if missing:
        combos = _fact_combinations(where, stored=stored).cte("fact_combos")
        resolved = spend_join.resolve(combos).subquery("resolved")
        parts.append(select(resolved.c.combination_key, *(resolved.c[c] for c in TARGET_COLUMNS)))
    if len(parts) == 1:
        return parts[0].subquery("targets")
    return union_all(*parts).subquery("targets")


async def answer(
    run: Callable[[Subquery], Awaitable[Answer]],
    complete: Callable[[Answer], bool],
    where: Sequence[ColumnElement[bool]],
    *,
    stored: bool = True,
) -> Answer:
    """`run`'s answer over the facts matching `where` outer-joined to their combinations'
    targets. First over the stored rows alone; when `complete` says some fact found no
    row (`known` false), again with those facts' combinations resolved in the statement.
    `stored=False`: every combination resolved in the statement (as before
    `combination_targets`)."""
    if not stored:
        return await run(_targets(where, stored=False, missing=True))
    found = await run(_targets(where, stored=True, missing=False))
    if complete(found):
        return found
    return await run(_targets(where, stored=True, missing=True))
