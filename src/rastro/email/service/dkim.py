"""DKIM keys, one per sender domain (and selector): generated here, the private key kept
encrypted in the credentials vault (service `dkim`, the PEM as the credential's secret),
the public key published by the user as a DNS TXT record at
`{selector}._domainkey.{domain}`. The SMTP sender signs a mail with the newest active key
of its From domain."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.core.errors import Conflict
from rastro.core.pagination import PageParams
from rastro.core.security import Keyring
from rastro.email import schemas
from rastro.email.senders.dkim import DkimKey

SERVICE = "dkim"
KEY_BITS = 2048


class _Row(Protocol):  # a vault credential as the vault's service lists it
    id: uuid.UUID
    settings: dict[str, Any]
    created_at: datetime
    is_active: bool


def dns_value(public_key: str) -> str:
    return f"v=DKIM1; k=rsa; p={public_key}"


def _out(credential: _Row) -> schemas.DkimKey:
    settings = credential.settings or {}
    domain, selector = str(settings.get("domain", "")), str(settings.get("selector", ""))
    return schemas.DkimKey(
        credential_id=credential.id,
        domain=domain,
        selector=selector,
        dns_name=f"{selector}._domainkey.{domain}",
        dns_value=dns_value(str(settings.get("public_key", ""))),
        created_at=credential.created_at,
    )


async def _all(session: AsyncSession) -> list[_Row]:
    rows, _ = await credentials.list_credentials(
        session, PageParams(page=1, page_size=100), service=SERVICE
    )
    return sorted(rows, key=lambda c: c.created_at, reverse=True)


async def list_keys(session: AsyncSession) -> list[schemas.DkimKey]:
    """The organization's DKIM keys, newest first, with their DNS records."""
    return [_out(c) for c in await _all(session)]


async def create_key(
    session: AsyncSession,
    keyring: Keyring,
    *,
    new: schemas.DkimKeyIn,
    created_by_id: uuid.UUID | None,
) -> schemas.DkimKey:
    """Generate an RSA-2048 key for a domain and selector (409 when that pair exists)."""
    domain, selector = new.domain.lower().rstrip("."), new.selector.lower()
    for existing in await _all(session):
        if (existing.settings or {}).get("domain") == domain and (existing.settings or {}).get(
            "selector"
        ) == selector:
            raise Conflict("This domain already has a DKIM key with this selector.")
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = base64.b64encode(
        private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).decode()
    credential = await credentials.create_credential(
        session,
        keyring,
        name=f"DKIM {selector}._domainkey.{domain}",
        service=SERVICE,
        api_key=pem,
        api_secret=None,
        api_url=None,
        settings={"domain": domain, "selector": selector, "public_key": public},
        is_active=True,
        created_by_id=created_by_id,
    )
    return _out(credential)


async def signing_keys(session: AsyncSession, keyring: Keyring) -> dict[str, DkimKey]:
    """The newest active key of each domain, decrypted, for the SMTP sender."""
    found: dict[str, DkimKey] = {}
    for credential in await _all(session):
        domain = str((credential.settings or {}).get("domain", ""))
        if not credential.is_active or not domain or domain in found:
            continue
        resolved = await credentials.resolve_credential(session, keyring, credential.id)
        found[domain] = DkimKey(
            domain=domain,
            selector=str(resolved.settings["selector"]),
            private_key_pem=resolved.api_key,
        )
    return found
