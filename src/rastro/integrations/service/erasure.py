"""Forwarding a data-subject erasure to the CRM destinations that can delete a person on
their side (HubSpot's GDPR delete); the others are reported as not supporting it, so the
request's proof says where the person may still be."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.core.errors import NotFound
from rastro.core.security import Keyring
from rastro.integrations.connectors import CONNECTORS
from rastro.integrations.connectors.base import (
    Calls,
    ConnectorError,
    ErasingConnector,
    PushContext,
)
from rastro.integrations.models import Destination


@dataclass(frozen=True)
class ErasureForwarded:
    """One destination's outcome."""

    destination: str  # its name in Rastro
    platform: str  # integration_name
    status: str  # deleted | not_found | failed | unsupported
    detail: str | None = None


async def forward_erasure(
    session: AsyncSession,
    keyring: Keyring,
    *,
    email: str | None,
    call_timeout: float = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[ErasureForwarded]:
    """Ask every active CRM destination to delete the person with `email` (where it can)."""
    destinations = (
        await session.scalars(
            select(Destination)
            .where(Destination.is_active.is_(True), Destination.integration_type == "crm")
            .order_by(Destination.created_at)
        )
    ).all()
    outcomes = []
    for destination in destinations:
        connector = CONNECTORS.get(destination.integration_name)
        if not isinstance(connector, ErasingConnector) or connector is None:
            outcomes.append(
                ErasureForwarded(
                    destination.name,
                    destination.integration_name,
                    "unsupported",
                    "This CRM has no deletion API Rastro calls: delete the person there.",
                )
            )
            continue
        if not email:
            outcomes.append(
                ErasureForwarded(
                    destination.name,
                    destination.integration_name,
                    "unsupported",
                    "Deletion is by e-mail and the request names none.",
                )
            )
            continue
        outcomes.append(
            await _erase_at(
                session, keyring, destination, connector, email, call_timeout, transport
            )
        )
    return outcomes


async def _erase_at(
    session: AsyncSession,
    keyring: Keyring,
    destination: Destination,
    connector: ErasingConnector,
    email: str,
    call_timeout: float,
    transport: httpx.AsyncBaseTransport | None,
) -> ErasureForwarded:
    name, platform = destination.name, destination.integration_name
    if destination.credential_id is None:
        return ErasureForwarded(name, platform, "failed", "The destination has no credential.")
    try:
        credential = await credentials.resolve_credential(
            session, keyring, destination.credential_id
        )
    except NotFound:
        return ErasureForwarded(name, platform, "failed", "The destination's credential is gone.")
    context = PushContext(
        credential=credential, settings=dict(destination.settings), timeout=call_timeout
    )
    push_connector = CONNECTORS[platform]
    try:
        calls = Calls.open(
            push_connector.base_url(context),
            timeout=call_timeout,
            headers=push_connector.headers(context),
            transport=transport,
        )
    except ConnectorError as error:
        return ErasureForwarded(name, platform, "failed", str(error))
    try:
        answer = await connector.erase(email, calls)
    except httpx.HTTPError as error:
        return ErasureForwarded(name, platform, "failed", f"Network error: {type(error).__name__}")
    finally:
        await calls.aclose()
    return ErasureForwarded(name, platform, answer.status, answer.detail)
