"""`rastro users …` and `rastro keys …`."""

from __future__ import annotations

import asyncio
import getpass

import typer

from rastro.auth.service import accounts, credentials, password_resets
from rastro.config import generate_encryption_key
from rastro.core import personal_rotation
from rastro.core.db import SYSTEM
from rastro.core.security import Keyring
from rastro.runtime import open_databases

users = typer.Typer(help="Manage users.", no_args_is_help=True)
keys = typer.Typer(help="Manage encryption keys.", no_args_is_help=True)


@users.command("create")
def create_user(
    email: str = typer.Option(..., help="E-mail (the login)"),
    name: str = typer.Option(..., help="Full name"),
    organization: str = typer.Option(..., help="Name of a new organization, the user its admin"),
    password: str | None = typer.Option(None, help="Password (asked when omitted)"),
) -> None:
    """Create a user as the administrator of a new organization."""
    if password is None:
        password = getpass.getpass("Password (at least 10 characters): ")
    if len(password) < 10:
        raise typer.BadParameter("the password needs at least 10 characters")

    async def run() -> None:
        async with open_databases() as (databases, _), databases.crm.transaction(SYSTEM) as session:
            user = await accounts.create_user(session, email=email, name=name, password=password)
            org = await accounts.create_organization(session, name=organization, admin=user)
        typer.echo(f"Created {user.email} as admin of {org.name} ({org.slug}).")

    asyncio.run(run())


@users.command("reset-link")
def reset_link(email: str = typer.Option(..., help="E-mail of the account")) -> None:
    """Print a one-time link (valid for an hour) to set a new password: the fallback when
    the instance sends no e-mail (MAIL_SENDER=none). Using it ends every session."""

    async def run() -> None:
        async with (
            open_databases() as (databases, settings),
            databases.crm.transaction(SYSTEM) as session,
        ):
            issued = await password_resets.issue_reset_for_email(session, email=email)
        if issued is None:
            typer.echo("No active account has this e-mail.", err=True)
            raise typer.Exit(1)
        typer.echo(f"{settings.public_url.rstrip('/')}/reset-password#{issued.token}")

    asyncio.run(run())


@keys.command("generate")
def generate_key() -> None:
    """Print a new encryption key for ENCRYPTION_KEY (put it first to rotate)."""
    typer.echo(generate_encryption_key())


@keys.command("rotate")
def rotate(
    new_key: bool = typer.Option(
        False, "--new-key", help="Development: generate a new key into the data directory first"
    ),
    batch: int = typer.Option(
        personal_rotation.DEFAULT_BATCH, min=1, help="Rows re-encrypted per transaction"
    ),
) -> None:
    """Re-encrypt every stored secret and all personal data (contacts, leads, payments'
    buyers, webhook payloads) under the first key of ENCRYPTION_KEY, in batches, with
    progress; afterwards the other keys can leave ENCRYPTION_KEY."""

    async def run() -> None:
        async with open_databases(rotate_key=new_key) as (databases, settings):
            keyring = Keyring(settings.encryption_key_value)
            async with databases.crm.transaction(SYSTEM) as session:
                count = await credentials.reencrypt_all(session, keyring)
            typer.echo(f"Re-encrypted {count} credential(s) under key {keyring.primary_id}.")
            report = await personal_rotation.rotate(
                databases.crm,
                batch=batch,
                progress=lambda table, done: typer.echo(f"  {table}: {done} row(s)"),
            )
            left = await personal_rotation.stale_key_ids(databases.crm)
        typer.echo(f"Re-encrypted {report.total} row(s) of personal data under {report.key_id}.")
        if left:
            typer.echo(f"Values still under key(s) {', '.join(sorted(left))}.", err=True)
            raise typer.Exit(1)

    asyncio.run(run())
