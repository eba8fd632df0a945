"""Plumbing for data-subject requests (the privacy module's export and erasure): each module
answers "what do you hold about these ids" with rows as JSON-ready dicts, per store
(`SubjectRows`), and "erase it" with a count per store (`ErasedCounts`)."""

from __future__ import annotations

from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import ColumnElement, FromClause, select
from sqlalchemy.ext.asyncio import AsyncSession

SubjectRows = dict[str, list[dict[str, Any]]]
ErasedCounts = dict[str, int]

# The value that replaces a pseudonymous id (visitor id) of an erased person: the rows keep
# counting in aggregates, and no longer link to anyone.
ERASED = "erased"


async def rows_where(
    session: AsyncSession, table: FromClause, condition: ColumnElement[bool]
) -> list[dict[str, Any]]:
    """Every row of `table` matching `condition`, as JSON-ready dicts (column → value),
    keyed by the columns' attribute keys (an encrypted `customer_data` is stored in
    `customer_data_encrypted`: its key is what the export names)."""
    columns = [column.label(column.key) for column in table.c]
    result = await session.execute(select(*columns).where(condition))
    return [to_jsonable_python(dict(row)) for row in result.mappings()]


def counts(rows: SubjectRows) -> dict[str, int]:
    """How many rows each store holds."""
    return {store: len(found) for store, found in rows.items()}
