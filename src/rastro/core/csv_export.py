"""CSV downloads made by the server, with the dashboard's rules (`web/src/lib/csv.ts`):
RFC 4180 quoting, CRLF line ends, a UTF-8 byte order mark so that Excel reads accents, and a
text cell that a spreadsheet would run as a formula (starting with = + - @ tab or CR)
prefixed with an apostrophe (OWASP "CSV injection"): names and campaigns come from forms
and URLs. Numbers are written plainly (`1234.50`) so that a spreadsheet computes with them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

from fastapi import Response

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | Decimal | date | datetime | None


def cell(value: Cell) -> str:
    """One value as CSV text (before quoting)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return f"'{value}" if value.startswith(FORMULA_START) else value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """The file's text, byte order mark first."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Response:
    """A download of `rows` under `header` named `filename`."""
    return Response(
        csv_text(header, rows).encode(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )
