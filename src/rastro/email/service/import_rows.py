"""The rows of a contact import, batch by batch (the job's work).

`load_plan` reads the stored file once and validates every address (`email-validator`,
no DNS), so that a duplicate is known wherever it sits: the first row of an address is
imported, later ones are skipped as `duplicate_email`. `import_batch` then handles the
rows from the import's `rows_done` on: it creates or updates the contacts (the CRM's
canonical people, then their e-mail side), records each skipped row's code, and moves
`rows_done` and the counts in the same transaction. A job that dies loses only its
uncommitted batch, which the next run does again: nothing is counted or stored twice.

An existing contact keeps its status (an import never re-activates an unsubscribed or
bounced address), gains the row's tags and attributes, and gets the name and phone only
if the CRM has none. Row numbers are lines of the file, the header being line 1.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ARRAY, Table, Uuid, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import RastroError
from rastro.core.uploads import read_table
from rastro.crm.service import identity, people
from rastro.email.models import AudienceContact, ContactImportError, ContactImportRun, EmailContact
from rastro.email.service.imports import MAX_BYTES, MAX_ROWS

BATCH_SIZE = 1000
MAX_TAGS = 50
TAG_LENGTH = 60
NAME_LENGTH = 255
ATTRIBUTE_LENGTH = 1000
TAG_SEPARATORS = (";", "|")


@dataclass(frozen=True)
class ImportPlan:
    """The file's rows with their normalized address (or why it has none) and, per
    address, the index of the first row that has it."""

    import_id: uuid.UUID
    rows: list[list[str]]
    columns: dict[str, int]
    addresses: list[str | None]
    codes: list[str | None]
    first_row: dict[str, int]


async def load_plan(session: AsyncSession, *, import_id: uuid.UUID) -> ImportPlan | None:
    """The plan of an import that has rows left; None when it is done (or has no file)."""
    run = await session.get(ContactImportRun, import_id)
    if run is None or run.status in ("done", "failed", "uploaded") or run.content is None:
        return None
    table = read_table(run.content, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    column = {name: index for index, name in enumerate(table.columns)}
    email_at = column[run.mapping["email"]]
    addresses: list[str | None] = []
    codes: list[str | None] = []
    first_row: dict[str, int] = {}
    for index, row in enumerate(table.rows):
        raw = row[email_at].strip() if email_at < len(row) else ""
        address, code = _address(raw)
        if address is not None:
            if address in first_row:
                address, code = None, "duplicate_email"
            else:
                first_row[address] = index
        addresses.append(address)
        codes.append(code)
    return ImportPlan(run.import_id, table.rows, column, addresses, codes, first_row)


def _address(raw: str) -> tuple[str | None, str | None]:
    if not raw:
        return None, "missing_email"
    try:
        return identity.normalize_email(raw).address, None
    except RastroError:
        return None, "invalid_email"


@dataclass
class _Row:
    address: str
    name: str | None
    phone: str | None
    tags: list[str]
    attributes: dict[str, Any]


def _cell(plan: ImportPlan, row: list[str], column: str | None) -> str:
    if column is None:
        return ""
    index = plan.columns[column]
    return row[index].strip() if index < len(row) else ""


def _tags(text: str) -> list[str]:
    for separator in TAG_SEPARATORS:
        text = text.replace(separator, ",")
    return sorted({tag.strip() for tag in text.split(",") if tag.strip()})


def _read_row(
    plan: ImportPlan, mapping: dict[str, Any], index: int
) -> tuple[_Row | None, str | None]:
    """The row's values, or the code of what is wrong with it."""
    address = plan.addresses[index]
    if address is None:
        return None, plan.codes[index]
    row = plan.rows[index]
    name = _cell(plan, row, mapping.get("name")) or None
    if name is not None and len(name) > NAME_LENGTH:
        return None, "name_too_long"
    phone_text = _cell(plan, row, mapping.get("phone"))
    phone = None
    if phone_text:
        parsed = identity.parse_phone(phone_text, mapping.get("phone_country") or "BR")
        if parsed is None:
            return None, "invalid_phone"
        phone = parsed.e164
    tags = _tags(_cell(plan, row, mapping.get("tags")))
    if len(tags) > MAX_TAGS:
        return None, "too_many_tags"
    if any(len(tag) > TAG_LENGTH for tag in tags):
        return None, "tag_too_long"
    attributes: dict[str, Any] = {}
    for key, column in (mapping.get("attributes") or {}).items():
        value = _cell(plan, row, column)
        if len(value) > ATTRIBUTE_LENGTH:
            return None, "attribute_too_long"
        if value:
            attributes[key] = value
    return _Row(address, name, phone, tags, attributes), None


async def import_batch(
    session: AsyncSession, *, plan: ImportPlan, batch_size: int = BATCH_SIZE
) -> bool:
    """Import the next rows of the plan; True while rows remain."""
    run = await session.get(ContactImportRun, plan.import_id, with_for_update=True)
    if run is None or run.status in ("done", "failed"):
        return False
    now = datetime.now(UTC)
    if run.status == "queued":
        run.status, run.started_at = "running", now
    start = run.rows_done
    end = min(start + batch_size, len(plan.rows))
    valid: dict[str, _Row] = {}
    errors: list[tuple[int, str]] = []
    for index in range(start, end):
        row, code = _read_row(plan, run.mapping, index)
        if row is None:
            errors.append((index + 2, code or "invalid_email"))
        else:
            valid[row.address] = row
    created, updated = await _store(session, run, list(valid.values()), now)
    if errors:
        await session.execute(
            insert(ContactImportError)
            .values(
                [
                    {
                        "import_id": run.import_id,
                        "organization_id": run.organization_id,
                        "row": line,
                        "code": code,
                    }
                    for line, code in errors
                ]
            )
            .on_conflict_do_nothing(index_elements=["import_id", "row"])
        )
    run.rows_done = end
    run.created += created
    run.updated += updated
    run.skipped += len(errors)
    done = end >= len(plan.rows)
    if done:
        run.status, run.finished_at, run.content = "done", now, None
    await session.flush()
    return not done


async def mark_failed(session: AsyncSession, *, import_id: uuid.UUID) -> None:
    """An import whose job failed: `failed`, its file dropped (what was imported stays)."""
    run = await session.get(ContactImportRun, import_id, with_for_update=True)
    if run is not None and run.status != "done":
        run.status, run.content, run.finished_at = "failed", None, datetime.now(UTC)
        await session.flush()


_RECIPIENTS = cast(Table, EmailContact.__table__)
_MERGE = (
    update(_RECIPIENTS)
    .where(_RECIPIENTS.c.contact_id == bindparam("id_"))
    .values(tags=bindparam("tags_"), attributes=bindparam("attributes_"), updated_at=func.now())
)


async def _store(
    session: AsyncSession, run: ContactImportRun, rows: list[_Row], now: datetime
) -> tuple[int, int]:
    """Create or update the rows' contacts in a constant number of statements;
    (created, updated)."""
    if not rows:
        return 0, 0
    ids = await people.upsert_people(
        session, people={r.address: people.PersonDetails(r.name, r.phone) for r in rows}
    )
    existing = {
        contact_id: (tags, attributes)
        for contact_id, tags, attributes in (
            await session.execute(
                select(EmailContact.contact_id, EmailContact.tags, EmailContact.attributes).where(
                    EmailContact.contact_id
                    == any_(bindparam("ids", list(ids.values()), type_=ARRAY(Uuid)))
                )
            )
        ).all()
    }
    new: list[dict[str, Any]] = []
    merged: list[dict[str, Any]] = []
    for row in rows:
        contact_id = ids[row.address]
        if contact_id in existing:
            tags, attributes = existing[contact_id]
            merged.append(
                {
                    "id_": contact_id,
                    "tags_": sorted(set(tags) | set(row.tags)),
                    "attributes_": {**attributes, **row.attributes},
                }
            )
        else:
            new.append(
                {
                    "contact_id": contact_id,
                    "organization_id": run.organization_id,
                    "status": run.contact_status,
                    "tags": row.tags,
                    "attributes": row.attributes,
                    "created_at": now,
                }
            )
    if new:  # a subscription may have made one since (kept: it knows its consent)
        await session.execute(
            insert(_RECIPIENTS).on_conflict_do_nothing(index_elements=["contact_id"]), new
        )
    if merged:
        await session.execute(_MERGE, merged)
    if run.audience_id is not None:
        await session.execute(
            insert(AudienceContact)
            .values(
                [
                    {
                        "audience_id": run.audience_id,
                        "contact_id": ids[row.address],
                        "organization_id": run.organization_id,
                    }
                    for row in rows
                ]
            )
            .on_conflict_do_nothing(index_elements=["audience_id", "contact_id"])
        )
    return len(new), len(merged)
