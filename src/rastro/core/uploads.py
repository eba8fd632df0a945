"""Uploaded files: a multipart/form-data body's text fields and file part, and a CSV
file read as a table (shared by every module that takes a spreadsheet)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP

from fastapi import Request

from rastro.core.errors import PayloadTooLarge, UnprocessableEntity


@dataclass(frozen=True)
class UploadForm:
    fields: dict[str, str]
    file: bytes | None
    file_name: str | None = None

    def required_file(self) -> bytes:
        """The `file` part, or 422 naming `body.file`."""
        if self.file is None:
            raise UnprocessableEntity(
                "The file is missing.",
                details=[{"loc": "body.file", "message": "required", "type": "missing"}],
            )
        return self.file


def _form_error(message: str) -> UnprocessableEntity:
    return UnprocessableEntity(
        message, details=[{"loc": "body", "message": message, "type": "multipart"}]
    )


async def read_form(request: Request, *, max_bytes: int) -> UploadForm:
    """A multipart/form-data body: its text fields and its `file` part (413 past
    `max_bytes` plus room for the form's own lines, 422 when not multipart)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise _form_error("Send the file as multipart/form-data.")
    declared = request.headers.get("content-length")
    limit = max_bytes + 64 * 1024
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge("The file is too large.")
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge("The file is too large.")
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(header + body)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise _form_error("The body is not a multipart form.")
    fields: dict[str, str] = {}
    file: bytes | None = None
    file_name: str | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        if name == "file":
            file = payload
            file_name = part.get_filename()
        else:
            fields[name] = payload.decode("utf-8", errors="replace")
    return UploadForm(fields, file, file_name)


@dataclass(frozen=True)
class CsvTable:
    columns: list[str]
    rows: list[list[str]]
    delimiter: str


def _invalid(message: str, details: list[dict[str, str]]) -> UnprocessableEntity:
    return UnprocessableEntity(message, details=details)


def read_table(content: bytes, *, max_bytes: int, max_rows: int) -> CsvTable:
    """The file's header and rows (UTF-8, with or without BOM, else Latin-1; the delimiter
    sniffed among `,`, `;` and tab; blank lines dropped). 413 past `max_bytes` or
    `max_rows`, 422 when it is not a table."""
    if len(content) > max_bytes:
        raise PayloadTooLarge(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    if "\x00" in text:
        raise _invalid("The file is not a CSV text file.", [{"loc": "body.file", "type": "csv"}])
    sample = text[: 64 * 1024]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    try:
        records = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as error:
        raise _invalid(
            "The file is not a valid CSV.",
            [{"loc": "body.file", "message": str(error), "type": "csv"}],
        ) from None
    records = [r for r in records if any(cell.strip() for cell in r)]
    if not records or not any(cell.strip() for cell in records[0]):
        raise _invalid("The file has no header row.", [{"loc": "body.file", "type": "csv"}])
    columns = [cell.strip() for cell in records[0]]
    duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
    if duplicated:
        raise _invalid(
            "The header names a column twice.",
            [
                {"loc": "body.file", "message": f"column {c!r} twice", "type": "csv"}
                for c in duplicated
            ],
        )
    if len(records) - 1 > max_rows:
        raise PayloadTooLarge(f"The file has more than {max_rows} rows.")
    return CsvTable(columns=columns, rows=records[1:], delimiter=delimiter)
