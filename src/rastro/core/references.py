"""Ids a request names in its body: each must be a row of the caller's organization.

A body that names a lead, a landing page, a domain… gets the row only when it belongs to the
organization of the session; another organization's id and an id that does not exist get
the same 422 (`unknown_reference`, the field named), so nobody can probe which ids exist
elsewhere. Foreign keys alone would not do: PostgreSQL checks them without row-level
security, so a foreign id would be stored and an unknown one would fail the statement.
An id in the path names the resource itself and stays a 404.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import ScopeKind, TenantScopeMissing, get_scope
from rastro.core.errors import UnprocessableEntity

Row = TypeVar("Row")


class UnknownReference(UnprocessableEntity):
    code = "unknown_reference"
    default_message = "No such record in this organization."

    def __init__(self, *, field: str, key: Any) -> None:
        super().__init__(details={"field": field, "id": str(key)})


async def referenced(session: AsyncSession, model: type[Row], key: Any, *, field: str) -> Row:
    """The row of the session's organization that `key` names (422 `unknown_reference`
    for another organization's id or an unknown one)."""
    scope = get_scope(session)
    if scope is None or scope.kind is not ScopeKind.ORGANIZATION:
        # A system scope sees every organization: checking there would let foreign ids in.
        raise TenantScopeMissing(f"checking {field} needs an organization scope")
    row = await session.get(model, key)
    if row is None:
        raise UnknownReference(field=field, key=key)
    return row


async def check_referenced(
    session: AsyncSession, model: type[Any], key: uuid.UUID | None, *, field: str
) -> None:
    """422 `unknown_reference` unless `key` is None or a row of the organization."""
    if key is not None:
        await referenced(session, model, key, field=field)
