"""`rastro analytics …`."""

from __future__ import annotations

import asyncio
import time
import uuid

import typer

from rastro.analytics.service import upkeep
from rastro.auth.service import accounts
from rastro.core.db import SYSTEM
from rastro.core.units import TransactionBoundary
from rastro.runtime import open_databases

analytics = typer.Typer(help="Reports' rollups.", no_args_is_help=True)


@analytics.command("refresh")
def refresh(
    full: bool = typer.Option(False, "--full", help="Copy every lead and rebuild every day"),
    organization: str | None = typer.Option(None, help="One organization's id (default: all)"),
) -> None:
    """Bring the rollups up to now (the worker does it every 5 minutes)."""

    async def run() -> None:
        async with open_databases() as (databases, _):
            if organization is not None:
                ids = [uuid.UUID(organization)]
            else:
                async with databases.crm.transaction(SYSTEM) as crm:
                    ids = await accounts.organization_ids(crm)
            crm_b, bi_b = TransactionBoundary(databases.crm), TransactionBoundary(databases.bi)
            for organization_id in ids:
                started = time.monotonic()
                result = await upkeep.refresh_organization(crm_b, bi_b, organization_id, full=full)
                seconds = time.monotonic() - started
                kind = "full" if result.full else f"{result.days_rewritten} days"
                typer.echo(f"{organization_id}: {kind} in {seconds:.1f} s")

    asyncio.run(run())
