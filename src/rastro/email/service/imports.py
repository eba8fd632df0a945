"""Contact imports from a CSV file: upload (the file kept with its columns, first rows and
a mapping guessed from its headers), start with the mapping the user confirmed (a job),
progress, and the skipped rows as a CSV of row number and error code.

The rows themselves are handled by `import_rows`; this file holds the lifecycle. The file
is stored until the import is done (or has failed), then dropped; an upload never started
is deleted after a day (`purge_abandoned`, hourly). What stays is the counts and, per
skipped row, its number and a code — never the row's content.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import Conflict, NotFound, UnprocessableEntity
from rastro.core.jobs import enqueue
from rastro.core.references import referenced
from rastro.core.uploads import read_table
from rastro.email import subscription_schemas as schemas
from rastro.email.models import Audience, ContactImportError, ContactImportRun

IMPORT_TASK = "email:import_contacts"
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
SAMPLE_ROWS = 5
# Header spellings (lower-cased) → field, for the suggested mapping.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "email address", "e-mail address", "endereço de e-mail", "mail"),
    "name": ("name", "nome", "full name", "nome completo", "first name", "primeiro nome"),
    "phone": ("phone", "telefone", "celular", "whatsapp", "mobile", "fone", "phone number"),
    "tags": ("tags", "tag", "etiquetas", "marcadores", "segmentos"),
}


class ImportNotFound(NotFound):
    code = "import_not_found"
    default_message = "No such contact import in this organization."


def _attribute_key(column: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "_", column.strip().lower()).strip("_")[:60]


def suggested_mapping(columns: Sequence[str]) -> schemas.ImportMapping | None:
    """The fields whose usual names (English or Portuguese) head a column; the other
    columns as attributes. None when no column looks like an e-mail address."""
    found: dict[str, str] = {}
    rest: list[str] = []
    for column in columns:
        name = column.strip().lower().replace("_", " ")
        field = next((f for f, names in SYNONYMS.items() if name in names), None)
        if field is not None and field not in found:
            found[field] = column
        elif column.strip():
            rest.append(column)
    if "email" not in found:
        return None
    attributes = {_attribute_key(c): c for c in rest if _attribute_key(c)}
    return schemas.ImportMapping(
        email=found["email"],
        name=found.get("name"),
        phone=found.get("phone"),
        tags=found.get("tags"),
        attributes=attributes,
    )


async def create_import(
    session: AsyncSession, *, file_name: str, content: bytes
) -> tuple[ContactImportRun, schemas.ImportUpload]:
    """Keep an uploaded CSV for its mapping (413 past 20 MB or 200,000 rows, 422 when it
    is not a table)."""
    table = read_table(content, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    run = ContactImportRun(
        file_name=(file_name or "contacts.csv")[:255],
        content=content,
        columns=table.columns,
        total_rows=len(table.rows),
        mapping={},
    )
    session.add(run)
    await session.flush()
    await session.refresh(run)
    width = len(table.columns)
    upload = schemas.ImportUpload(
        contact_import=schemas.ContactImport.model_validate(run),
        sample_rows=[
            dict(zip(table.columns, (row + [""] * width)[:width], strict=True))
            for row in table.rows[:SAMPLE_ROWS]
        ],
        suggested_mapping=suggested_mapping(table.columns),
    )
    return run, upload


async def get_import(session: AsyncSession, *, import_id: uuid.UUID) -> ContactImportRun:
    run = await session.get(ContactImportRun, import_id)
    if run is None:
        raise ImportNotFound()
    return run


async def list_imports(session: AsyncSession, *, limit: int = 20) -> list[ContactImportRun]:
    """The latest imports, newest first."""
    return list(
        await session.scalars(
            select(ContactImportRun).order_by(ContactImportRun.created_at.desc()).limit(limit)
        )
    )


def _check_mapping(mapping: schemas.ImportMapping, columns: list[str]) -> None:
    named = {"email": mapping.email, "name": mapping.name, "phone": mapping.phone}
    named["tags"] = mapping.tags
    named.update({f"attributes.{key}": column for key, column in mapping.attributes.items()})
    problems = [
        {"loc": f"body.mapping.{field}", "message": "not a column of the file", "type": "column"}
        for field, column in named.items()
        if column is not None and column not in columns
    ]
    problems += [
        {
            "loc": f"body.mapping.attributes.{key}",
            "message": "letters, digits, _ or -",
            "type": "key",
        }
        for key in mapping.attributes
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,60}", key)
    ]
    if problems:
        raise UnprocessableEntity(
            "The mapping names what the file does not have.", details=problems
        )


async def start_import(
    session: AsyncSession, *, import_id: uuid.UUID, start: schemas.ImportStart
) -> ContactImportRun:
    """Queue the import with its mapping (409 once started: an import runs once)."""
    run = await get_import(session, import_id=import_id)
    if run.status != "uploaded":
        raise Conflict("The import has started already.", details={"status": run.status})
    _check_mapping(start.mapping, run.columns)
    if start.audience_id is not None:
        audience = await referenced(session, Audience, start.audience_id, field="body.audience_id")
        if audience.kind != "static":
            raise UnprocessableEntity(
                "Contacts join a static audience; a saved filter finds them by itself.",
                details=[{"loc": "body.audience_id", "message": "not static", "type": "kind"}],
            )
    run.mapping = {**start.mapping.model_dump(), "phone_country": start.phone_country}
    run.audience_id = start.audience_id
    run.contact_status = start.status
    run.status = "queued"
    await enqueue(
        session,
        IMPORT_TASK,
        args={"organization_id": str(run.organization_id), "import_id": str(run.import_id)},
        queue="email",
        # One import at a time per organization: two files naming the same new address
        # would otherwise both try to create its contact.
        lock=f"email.import.{run.organization_id}",
    )
    await session.flush()
    return run


async def purge_abandoned(session: AsyncSession, *, older_than: timedelta) -> int:
    """Delete the uploads never started (their file holds personal data) once older than
    `older_than`; returns how many. Runs for every organization (system scope)."""
    result = await session.execute(
        delete(ContactImportRun).where(
            ContactImportRun.status == "uploaded",
            ContactImportRun.created_at < datetime.now(UTC) - older_than,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def import_errors(session: AsyncSession, *, import_id: uuid.UUID) -> list[tuple[int, str]]:
    """The skipped rows as (row number in the file, error code), in file order."""
    run = await get_import(session, import_id=import_id)
    rows = await session.execute(
        select(ContactImportError.row, ContactImportError.code)
        .where(ContactImportError.import_id == run.import_id)
        .order_by(ContactImportError.row)
    )
    return [(row, code) for row, code in rows.all()]
