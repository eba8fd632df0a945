"""Re-sealing personal data under the key ring's primary key (`rastro keys rotate`, the
`auth.rotate_personal_data` job).

Every column of the CRM models typed `EncryptedText` / `EncryptedJSON` is walked table by
table: the values sealed under another key are opened and sealed again, `batch` rows per
transaction (a run stopped half-way resumes where it was: the rows already done no longer
match). Progress is reported per batch (table, rows done) — never a value. Afterwards no
value names an old key id, which can then leave `ENCRYPTION_KEY`. Blind indexes do not
depend on the encryption key and are not touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Column, Table, Text, bindparam, func, or_, select, type_coerce, update

from rastro.core.db import SYSTEM, CrmBase, Database
from rastro.core.personal import (
    EncryptedJSON,
    EncryptedText,
    configured,
    key_id_of,
    seal,
    unseal,
)

DEFAULT_BATCH = 500


@dataclass
class RotationReport:
    key_id: str
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows re-sealed

    @property
    def total(self) -> int:
        return sum(self.rows.values())


Progress = Callable[[str, int], None]


def encrypted_columns(metadata: Any = CrmBase.metadata) -> dict[Table, list[Column[Any]]]:
    """Each table with encrypted columns, and those columns."""
    found: dict[Table, list[Column[Any]]] = {}
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText | EncryptedJSON)]
        if columns:
            found[table] = columns
    return found


def _raw(column: Column[Any]) -> Any:
    """The stored text (`<key id>:<ciphertext>`), without the column type's decryption."""
    return type_coerce(column, Text())


async def rotate(
    database: Database, *, batch: int = DEFAULT_BATCH, progress: Progress | None = None
) -> RotationReport:
    """Re-seal every value of `database` not sealed under the primary key."""
    primary = configured().primary_id
    report = RotationReport(primary)
    for table, columns in encrypted_columns().items():
        (key,) = table.primary_key.columns
        stale = or_(
            *(func.split_part(_raw(c), ":", 1) != primary for c in columns)  # NULL: not stale
        )
        write = (
            update(table)
            .where(key == bindparam("pk"))
            .values({c.key: bindparam(f"v_{c.key}", type_=Text()) for c in columns})
        )
        done = 0
        while True:
            async with database.transaction(SYSTEM) as session:
                rows = (
                    await session.execute(
                        select(key.label("pk"), *(_raw(c).label(c.key) for c in columns))
                        .where(stale)
                        .order_by(key)
                        .limit(batch)
                    )
                ).all()
                if not rows:
                    break
                await session.execute(
                    write,
                    [_resealed(row._mapping, columns, primary) for row in rows],
                )
            done += len(rows)
            if progress is not None:
                progress(table.name, done)
        if done:
            report.rows[table.name] = done
    return report


def _resealed(row: Any, columns: list[Column[Any]], primary: str) -> dict[str, Any]:
    values: dict[str, Any] = {"pk": row["pk"]}
    for column in columns:
        stored = row[column.key]
        context = cast(EncryptedText | EncryptedJSON, column.type).context
        if stored is not None and key_id_of(stored) != primary:
            stored = seal(unseal(stored, context=context), context=context)
        values[f"v_{column.key}"] = stored
    return values


async def stale_key_ids(database: Database) -> set[str]:
    """The key ids still named by a stored value (other than the primary's)."""
    primary = configured().primary_id
    found: set[str] = set()
    async with database.transaction(SYSTEM) as session:
        for table, columns in encrypted_columns().items():
            for column in columns:
                ids = await session.scalars(
                    select(func.split_part(_raw(column), ":", 1))
                    .select_from(table)
                    .where(column.is_not(None))
                    .distinct()
                )
                found.update(i for i in ids if i != primary)
    return found
