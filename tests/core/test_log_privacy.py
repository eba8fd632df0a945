"""Statements that fail at the database with personal data and secrets in them leave no
trace of those values in any log: the server's, the job worker's, PostgreSQL's own."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
import structlog
from fastapi import APIRouter, Request
from sqlalchemy import text

from rastro.app import create_app
from rastro.cli import build_job_app
from rastro.core.db import Scope
from rastro.core.embedded import EmbeddedPostgres
from rastro.core.jobs import enqueue, job_context
from rastro.core.logging import configure_logging
from rastro.core.redaction import describe_error, scrub
from rastro.crm.models import Contact
from tests.auth.factories import make_account
from tests.helpers import drain_jobs

EMAIL = "maria.leak-7f3a@example.com"
PHONE = "+5511987654321"
NAME = "Maria Vazamento"
DEVELOPER_TOKEN = "devtok-Zq8uVvK2LEAKpL9"
CLIENT_SECRET = "cs-Hn3kLEAKq7Wm"
VALUES = (EMAIL, PHONE, NAME, DEVELOPER_TOKEN, CLIENT_SECRET)
JOB = "tests:contact_written_twice"


async def _write_contact_twice(organization_id: uuid.UUID, databases: Any) -> None:
    """The same contact inserted twice: a unique violation quoting the e-mail."""
    async with databases.crm.transaction(Scope.organization(organization_id)) as session:
        for _ in range(2):
            session.add(Contact(email=EMAIL, phone=PHONE, name=NAME))
            await session.flush()


def _failing_routes() -> APIRouter:
    router = APIRouter()

    @router.post("/api/test-failures/contact-twice/{organization_id}")
    async def contact_twice(organization_id: uuid.UUID, request: Request) -> None:
        await _write_contact_twice(organization_id, request.app.state.databases)

    @router.post("/api/test-failures/bad-uuid")
    async def bad_uuid(request: Request) -> None:
        # PostgreSQL's ERROR line itself quotes the value it could not read.
        async with request.app.state.databases.crm.transaction(None) as session:
            await session.execute(text("SELECT CAST(:token AS uuid)"), {"token": DEVELOPER_TOKEN})

    @router.post("/api/test-failures/bad-json")
    async def bad_json(request: Request) -> None:
        # CONTEXT quotes the JSON text up to the NUL escape it refused.
        document = '{"client_secret": "' + CLIENT_SECRET + '", "n": "\\u0000"}'
        async with request.app.state.databases.crm.transaction(None) as session:
            await session.execute(text("SELECT CAST(:doc AS jsonb) ->> 'n'"), {"doc": document})

    return router


@pytest.fixture
def captured_logs(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """The real logging configuration, its one handler writing into a buffer."""
    fmt: Literal["console", "json"] = request.param
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_structlog = structlog.get_config()
    configure_logging("INFO", fmt)
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:], root.level = saved_handlers, saved_level
        structlog.configure(**saved_structlog)


def _postgres_log(server: EmbeddedPostgres) -> Path:
    return server.pgdata / "log"


def _leaks(text_: str) -> list[str]:
    return [value for value in VALUES if value in text_]


@pytest.mark.parametrize("captured_logs", ["json", "console"], indirect=True)
async def test_database_failures_log_no_values(
    captured_logs: io.StringIO, settings, databases, pg_server: EmbeddedPostgres
) -> None:
    account = await make_account(databases)
    postgres_log = _postgres_log(pg_server)
    assert postgres_log.is_file()
    start = postgres_log.stat().st_size

    app = create_app(settings, databases=databases, check_migrations=False)
    app.include_router(_failing_routes())
    for _ in range(3):  # before the dashboard's catch-all
        app.router.routes.insert(0, app.router.routes.pop())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        for path in (
            f"/api/test-failures/contact-twice/{account.organization_id}",
            "/api/test-failures/bad-uuid",
            "/api/test-failures/bad-json",
        ):
            response = await http.post(path)
            assert response.status_code == 500, path
            assert not _leaks(response.text)

    jobs = build_job_app(settings)
    if JOB not in jobs.tasks:

        @jobs.task(name=JOB, queue="tests")
        async def contact_written_twice(organization_id: str) -> None:
            await _write_contact_twice(uuid.UUID(organization_id), job_context().databases)

    async with databases.crm.transaction(None) as session:
        await enqueue(
            session, JOB, args={"organization_id": str(account.organization_id)}, queue="tests"
        )
    await drain_jobs(settings, databases, queues=["tests"])

    server_log = captured_logs.getvalue()
    assert _leaks(server_log) == []
    # The failures were logged, by class and SQLSTATE.
    assert server_log.count("unhandled_error") == 3
    for expected in (
        "UniqueViolation: sqlstate=23505 constraint=uq_contacts_organization_id_email",
        "InvalidTextRepresentation: sqlstate=22P02",
        "UntranslatableCharacter: sqlstate=22P05",
        f"{JOB}[",
        "ended with status: Error",
    ):
        assert expected in server_log

    with postgres_log.open(encoding="utf-8", errors="replace") as log_file:
        log_file.seek(start)
        assert _leaks(log_file.read()) == []


def test_scrub_cuts_what_postgresql_and_sqlalchemy_quote() -> None:
    message = (
        "(psycopg.errors.InvalidTextRepresentation) invalid input syntax for type uuid:"
        f' "{DEVELOPER_TOKEN}"\nLINE 1: SELECT CAST($1::VARCHAR AS uuid)\n'
        f"[SQL: SELECT CAST(%(token)s::VARCHAR AS uuid)]\n[parameters: {{'token': '{EMAIL}'}}]"
    )
    assert scrub(message) == (
        '(psycopg.errors.InvalidTextRepresentation) invalid input syntax for type uuid: "[redacted]"'
    )
    assert scrub(f'value "{PHONE}" is out of range for type integer') == (
        'value "[redacted]" is out of range for type integer'
    )
    assert scrub(f"Key (email)=({EMAIL}) exists") == "Key (email)=([redacted]) exists"
    assert scrub("GET /api/leads") == "GET /api/leads"
    assert describe_error(ValueError(f'bad: "{NAME}"')) == 'bad: "[redacted]"'


@pytest.mark.parametrize("captured_logs", ["json"], indirect=True)
async def test_tokens_in_paths_are_not_logged(
    captured_logs: io.StringIO, settings, databases
) -> None:
    """A path parameter that is a token (tracking, double opt-in, webhook) is a credential:
    the access log shows the route's template instead of the path."""
    token = "TokenLEAK" + "x" * 40
    app = create_app(settings, databases=databases, check_migrations=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        for method, path in (
            ("GET", f"/e/confirm/{token}"),
            ("POST", f"/e/subscribe/{token[:40]}"),
            ("GET", f"/e/c/{token}"),
        ):
            response = await http.request(method, path, json={"email": "a@b.com.br"})
            assert response.status_code == 404, path
        await http.get("/api/health")
    # The access log's lines (the test's own httpx client logs its URLs too).
    server_log = "\n".join(
        line for line in captured_logs.getvalue().splitlines() if "HTTP Request" not in line
    )
    assert "TokenLEAK" not in server_log
    assert "/e/confirm/{token}" in server_log
    assert "/e/subscribe/{form_token}" in server_log
    assert "/api/health" in server_log  # other paths as they are
