"""The `rastro` command."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import structlog
import typer

from rastro.config import Settings, load_settings
from rastro.core import migrations
from rastro.core.logging import configure_logging
from rastro.modules import load_modules
from rastro.runtime import (
    MigrationsPending,
    PostgresWatchdog,
    SupervisedProcess,
    database_urls,
    ensure_migrated,
    make_databases,
    resolve_database_urls,
    upgrade_all,
)

cli = typer.Typer(
    help="Rastro: first-party marketing tracking and attribution.", no_args_is_help=True
)
db = typer.Typer(help="Database migrations (both databases).", no_args_is_help=True)
cli.add_typer(db, name="db")


def _settings() -> Settings:
    settings = load_settings()
    configure_logging(settings.log_level, settings.effective_log_format)
    return settings


def _ready_settings() -> Settings:
    settings = resolve_database_urls(_settings())
    try:
        ensure_migrated(settings)
    except MigrationsPending as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    return settings


@cli.command()
def serve(
    host: str | None = typer.Option(None, help="Bind address (default RASTRO_HOST)"),
    port: int | None = typer.Option(None, help="Port (default RASTRO_PORT)"),
    workers: int = typer.Option(1, min=1, help="Server processes (one per core is typical)"),
) -> None:
    """Serve the API, the collector, live updates and the dashboard."""
    import uvicorn

    from rastro.app import create_asgi

    settings = _ready_settings()
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_config": None,
        "proxy_headers": True,
        "lifespan": "on",
    }
    if workers > 1:
        uvicorn.run("rastro.app:asgi_from_env", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_asgi(settings, freeze_gc=True), **options)


@cli.command()
def worker(
    queues: list[str] | None = typer.Option(
        None, "--queue", help="Only these queues (default all)"
    ),
    concurrency: int = typer.Option(4, min=1, help="Jobs run at the same time"),
    nice: int = typer.Option(
        10, min=0, max=19, help="CPU priority below the server's (Unix nice increment)"
    ),
) -> None:
    """Run background jobs (outbox, platform sync, maintenance).

    The worker lowers its own CPU priority (`--nice`, 10 by default): on a machine shared
    with the server, requests waiting for an answer go first and the jobs — which nobody
    waits for — use the rest of the CPU.
    """
    from rastro.core.worker import WorkerStopped

    if nice:
        os.nice(nice)
    settings = _ready_settings()
    try:
        asyncio.run(_run_worker(settings, queues or None, concurrency))
    except WorkerStopped:
        structlog.get_logger(__name__).exception("worker_stopped")
        raise typer.Exit(1) from None


_job_apps: dict[str, Any] = {}


def build_job_app(settings: Settings) -> Any:
    """The job app with every module's tasks, one per database per process: procrastinate
    renames a blueprint's tasks when it joins an app, so a blueprint joins only once."""
    from rastro.core.jobs import create_job_app

    url = database_urls(settings)["crm"]
    if url not in _job_apps:
        app = create_job_app(url)
        for module in load_modules():
            if module.register_jobs is not None:
                module.register_jobs(app)
        _job_apps[url] = app
    return _job_apps[url]


async def _run_worker(settings: Settings, queues: list[str] | None, concurrency: int) -> None:
    from rastro.core.db import libpq_url
    from rastro.core.jobs import JobContext, set_job_context
    from rastro.core.worker import run_worker

    databases = make_databases(settings, pre_ping=True)
    set_job_context(JobContext(databases=databases, settings=settings))
    app = build_job_app(settings)
    try:
        await run_worker(
            app,
            conninfo=libpq_url(database_urls(settings)["crm"]),
            queues=queues,
            concurrency=concurrency,
        )
    finally:
        set_job_context(None)
        await databases.dispose()


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to the CRM and the BI database."""
    settings = resolve_database_urls(_settings())
    upgrade_all(settings)
    typer.echo("Both databases are at the latest revision.")


@db.command("downgrade")
def db_downgrade(
    database: str = typer.Argument(..., help="crm or bi"),
    revision: str = typer.Argument(..., help="Target revision (e.g. -1 or base)"),
) -> None:
    """Revert one database to an earlier revision."""
    if database not in ("crm", "bi"):
        raise typer.BadParameter("crm or bi")
    settings = resolve_database_urls(_settings())
    migrations.downgrade(database, database_urls(settings)[database], revision)  # type: ignore[index,arg-type]


@db.command("current")
def db_current() -> None:
    """Show each database's revision and whether it is the latest."""
    settings = resolve_database_urls(_settings())
    for name, url in database_urls(settings).items():
        current = migrations.current(name, url)
        state = "current" if current == migrations.heads(name, url) else "PENDING"
        typer.echo(f"{name}: {', '.join(sorted(current)) or '(empty)'} [{state}]")


async def _demo(settings: Settings, *, quiet_if_exists: bool) -> None:
    from rastro.auth.demo import (
        DEMO_EMAIL,
        demo_login_text,
        ensure_demo_admin,
        read_demo_login,
    )
    from rastro.core.module import DemoContext

    databases = make_databases(settings)
    try:
        login = await ensure_demo_admin(databases)
        login_file = settings.data_dir / "demo-login.txt"
        if login is not None:
            email, password, organization_id = login
            context = DemoContext(
                databases=databases,
                organization_id=organization_id,
                secret_key=settings.secret_key_value,
                base_url=f"http://{settings.host}:{settings.port}",
                encryption_key=settings.encryption_key_value,
            )
            login_file.write_text(demo_login_text(email, password))
            login_file.chmod(0o600)
            for module in load_modules():
                if module.demo is not None:
                    line = await module.demo(context)
                    if line:
                        typer.echo(line)
            typer.secho(
                f"\n  Demo organization created. Sign in at http://{settings.host}:{settings.port}"
                f"\n  e-mail:   {email}\n  password: {password}\n  (also saved in {login_file})\n",
                fg=typer.colors.GREEN,
            )
        elif not quiet_if_exists:
            typer.echo("The database already has users; demo data not loaded.")
        elif login_file.exists():
            # A file from before the labels has no `email:` line; its e-mail was the same.
            email = read_demo_login(login_file.read_text()).get("email", DEMO_EMAIL)
            typer.echo(f"Demo login: {email} (password in {login_file})")
    finally:
        await databases.dispose()


@cli.command()
def demo() -> None:
    """Load the demo organization, admin and demo data into an empty database."""
    settings = _ready_settings()
    asyncio.run(_demo(settings, quiet_if_exists=False))


@cli.command()
def run() -> None:
    """Development: embedded PostgreSQL, migrations, demo login, worker and server, until Ctrl-C.

    The job worker is started again if it dies, and so is the embedded PostgreSQL."""
    from rastro.core.embedded import EmbeddedPostgres

    configured = _settings()
    settings = resolve_database_urls(configured)
    upgrade_all(settings)
    asyncio.run(_demo(settings, quiet_if_exists=True))
    embedded = EmbeddedPostgres(settings.data_dir) if configured.embedded_database else None
    watchdog = PostgresWatchdog(embedded) if embedded is not None else None
    worker_process = SupervisedProcess([sys.executable, "-m", "rastro", "worker"], name="worker")
    worker_process.start()
    if watchdog is not None:
        watchdog.start()
    try:
        serve(host=None, port=None, workers=1)
    finally:
        worker_process.stop()
        if watchdog is not None and embedded is not None:
            watchdog.stop()
            typer.echo("Stopping the embedded PostgreSQL…")
            embedded.stop()


@cli.command()
def openapi() -> None:
    """Print the OpenAPI document (the dashboard's API client is generated from it)."""
    from rastro.app import create_app

    settings = load_settings()
    typer.echo(
        json.dumps(create_app(settings, check_migrations=False).openapi(), indent=2, sort_keys=True)
    )


def main() -> None:
    for module in load_modules():
        for name, group in module.commands.items():
            cli.add_typer(group, name=name)
    cli()
