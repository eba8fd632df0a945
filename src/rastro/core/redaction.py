"""What logs may say about an error: its class, SQLSTATE and schema names, never values.

A failed statement's text carries the values it was given: SQLAlchemy appends the SQL and
its `[parameters: …]`, and PostgreSQL quotes the offending value in its message
(`invalid input syntax for type uuid: "…"`) and around it in `DETAIL`, `CONTEXT` and
`LINE` lines (`Key (email)=(…) already exists`, `Failing row contains (…)`, the JSON
being parsed). A database error is therefore logged by class, SQLSTATE and the names
PostgreSQL reports (constraint, table, column), never by its message; any other text
that reaches a log line — an exception message, a string field — has those value-carrying
parts cut. The logging configuration (`rastro.core.logging`) applies this to every
record, ours and the libraries' (procrastinate's job failures, uvicorn's), in both formats.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import MutableMapping
from types import TracebackType
from typing import Any

import psycopg
from pydantic import ValidationError
from sqlalchemy.exc import StatementError

REDACTED = "[redacted]"

# Everything from the first line PostgreSQL or SQLAlchemy add after the primary message.
_DETAIL = re.compile(
    r"\n(?:DETAIL|HINT|CONTEXT|QUERY|WHERE|STATEMENT|LINE \d+):|\n\[SQL: |\n\[parameters: "
)
# Values quoted inside a primary message: `…: "value"`, `value "…" is out of range`,
# `Key (col)=(value)`.
_QUOTED_AFTER_COLON = re.compile(r':(\s*)"[^\n]*"')
_QUOTED_VALUE = re.compile(r'\bvalue "[^"\n]*"')
_KEY_VALUE = re.compile(r"\)=\([^\n]*\)")


def scrub(text: str) -> str:
    """`text` without SQL, bound parameters or the value excerpts of a database message."""
    if '"' not in text and "\n" not in text and ")=(" not in text:
        return text  # the common case, kept cheap: nothing a database message would quote
    text = _DETAIL.split(text, maxsplit=1)[0]
    text = _QUOTED_AFTER_COLON.sub(rf':\1"{REDACTED}"', text)
    text = _QUOTED_VALUE.sub(f'value "{REDACTED}"', text)
    return _KEY_VALUE.sub(f")=({REDACTED})", text)


def _qualified_name(kind: type[BaseException]) -> str:
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def _database_error(error: psycopg.Error) -> str:
    diag = error.diag
    parts = {
        "sqlstate": error.sqlstate,
        "constraint": diag.constraint_name,
        "table": diag.table_name,
        "column": diag.column_name,
        "type": diag.datatype_name,
    }
    described = " ".join(f"{key}={value}" for key, value in parts.items() if value)
    if error.sqlstate is None:  # raised by psycopg itself, not the server: its own words
        described = " ".join(filter(None, [described, scrub(str(error).split("\n")[0])]))
    return described


def describe_error(error: BaseException) -> str:
    """The message a log may carry for `error` (without its class name)."""
    if isinstance(error, StatementError):  # SQLAlchemy's wrapper of a driver error
        inner = error.orig
        if isinstance(inner, psycopg.Error):
            return f"({_qualified_name(type(inner))}) {_database_error(inner)}"
        if isinstance(inner, BaseException):
            return f"({_qualified_name(type(inner))}) {describe_error(inner)}"
        return ""
    if isinstance(error, psycopg.Error):
        return _database_error(error)
    if isinstance(error, ValidationError):  # its message repeats the input values
        places = ", ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['type']}"
            for problem in error.errors(include_url=False, include_input=False)
        )
        return f"{error.error_count()} validation error(s) for {error.title}: {places}"
    return scrub(str(error))


def _exception_lines(error: BaseException, seen: set[int]) -> list[str]:
    seen.add(id(error))
    lines: list[str] = []
    cause, context = error.__cause__, error.__context__
    if cause is not None and id(cause) not in seen:
        lines += _exception_lines(cause, seen)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif context is not None and not error.__suppress_context__ and id(context) not in seen:
        lines += _exception_lines(context, seen)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    if error.__traceback__ is not None:
        lines.append("Traceback (most recent call last):\n")
        lines += traceback.format_tb(error.__traceback__)
    message = describe_error(error)
    name = _qualified_name(type(error))
    lines.append(f"{name}: {message}\n" if message else f"{name}\n")
    return lines


def format_exception(
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None],
) -> str:
    """A traceback like Python's, each exception of the chain described by `describe_error`."""
    error = exc_info[1]
    if error.__traceback__ is None and exc_info[2] is not None:
        error = error.with_traceback(exc_info[2])
    return "".join(_exception_lines(error, set())).rstrip("\n")


def redact_event(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: exceptions given as fields described, strings scrubbed."""
    for key, value in event_dict.items():
        if isinstance(value, BaseException):
            message = describe_error(value)
            name = _qualified_name(type(value))
            event_dict[key] = f"{name}: {message}" if message else name
        elif isinstance(value, str) and key != "exception":
            event_dict[key] = scrub(value)
    return event_dict
