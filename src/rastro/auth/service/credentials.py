"""The credentials vault: external service accounts with their secrets encrypted at rest."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.catalog import SERVICES, ServiceSpec
from rastro.auth.models import Credential
from rastro.core.errors import NotFound, UnprocessableEntity
from rastro.core.http import resolve_base_url
from rastro.core.pagination import PageParams, paginate
from rastro.core.security import EncryptedValue, Keyring

MASK = "••••"


@dataclass(frozen=True)
class ResolvedCredential:
    """What a connector needs to call a service. Never serialize it."""

    id: uuid.UUID
    service: str
    api_key: str
    api_secret: str | None
    base_url: str | None
    settings: dict[str, Any]

    def __repr__(self) -> str:  # keep secrets out of logs and tracebacks
        return f"ResolvedCredential(id={self.id}, service={self.service!r}, url={self.base_url!r})"


def hint(secret: str) -> str:
    """The last 4 characters, only when the secret is long enough not to be given away."""
    return secret[-4:] if len(secret) >= 12 else ""


def masked(hint_value: str | None) -> str | None:
    return None if hint_value is None else MASK + hint_value


def _context(credential: Credential, field: str) -> str:
    # Binds each ciphertext to its row and field: a copied ciphertext does not decrypt elsewhere.
    return f"credential:{credential.organization_id}:{credential.id}:{field}"


def _service(name: str) -> ServiceSpec:
    spec = SERVICES.get(name)
    if spec is None:
        raise UnprocessableEntity(
            "Unknown service.",
            details=[
                {"loc": "body.service", "message": f"one of {sorted(SERVICES)}", "type": "enum"}
            ],
        )
    return spec


def _check_settings(spec: ServiceSpec, settings: dict[str, Any]) -> None:
    missing = [f.name for f in spec.settings_fields if f.required and not settings.get(f.name)]
    if missing:
        raise UnprocessableEntity(
            "Required settings are missing.",
            details=[
                {"loc": f"body.settings.{name}", "message": "required", "type": "missing"}
                for name in missing
            ],
        )


def _seal(credential: Credential, keyring: Keyring, field: str, value: str) -> bytes:
    sealed = keyring.encrypt(value, context=_context(credential, field))
    credential.key_id = sealed.key_id
    return sealed.ciphertext


def _open(credential: Credential, keyring: Keyring, field: str, value: bytes) -> str:
    return keyring.decrypt(
        EncryptedValue(credential.key_id, value), context=_context(credential, field)
    )


async def create_credential(
    session: AsyncSession,
    keyring: Keyring,
    *,
    name: str,
    service: str,
    api_key: str,
    api_secret: str | None,
    api_url: str | None,
    settings: dict[str, Any],
    is_active: bool,
    created_by_id: uuid.UUID | None,
) -> Credential:
    spec = _service(service)
    _check_settings(spec, settings)
    credential = Credential(
        id=uuid.uuid4(),
        name=name,
        service=service,
        api_url=api_url,
        settings=settings,
        is_active=is_active,
        created_by_id=created_by_id,
        api_key_encrypted=b"",
        key_id="",
        api_key_hint="",
    )
    session.add(credential)
    await session.flush()  # stamps organization_id, which the encryption context binds
    _set_secrets(credential, keyring, api_key=api_key, api_secret=api_secret)
    await session.flush()
    await session.refresh(credential)
    return credential


def _set_secrets(
    credential: Credential, keyring: Keyring, *, api_key: str | None, api_secret: str | None
) -> None:
    # Re-seal the field not being changed too, so that both use the same (primary) key id.
    current_key = (
        api_key
        if api_key is not None
        else _open(credential, keyring, "api_key", credential.api_key_encrypted)
    )
    current_secret = api_secret
    if api_secret is None and credential.api_secret_encrypted is not None:
        current_secret = _open(credential, keyring, "api_secret", credential.api_secret_encrypted)
    credential.api_key_encrypted = _seal(credential, keyring, "api_key", current_key)
    credential.api_key_hint = hint(current_key)
    if current_secret is not None:
        credential.api_secret_encrypted = _seal(credential, keyring, "api_secret", current_secret)
        credential.api_secret_hint = hint(current_secret)


async def get_credential(session: AsyncSession, credential_id: uuid.UUID) -> Credential:
    credential = await session.get(Credential, credential_id)
    if credential is None:
        raise NotFound("Credential not found.")
    return credential


async def list_credentials(
    session: AsyncSession, params: PageParams, *, service: str | None = None
) -> tuple[list[Credential], int]:
    statement = select(Credential).order_by(Credential.service, Credential.name)
    if service is not None:
        statement = statement.where(Credential.service == service)
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def update_credential(
    session: AsyncSession, keyring: Keyring, credential_id: uuid.UUID, changes: dict[str, Any]
) -> Credential:
    """Apply the given fields; omitted secrets keep their value, `api_url: null` clears it."""
    credential = await get_credential(session, credential_id)
    spec = _service(credential.service)
    for field in ("name", "api_url", "is_active"):
        if field in changes:
            setattr(credential, field, changes[field])
    if changes.get("settings") is not None:
        _check_settings(spec, changes["settings"])
        credential.settings = changes["settings"]
    if changes.get("api_key") is not None or changes.get("api_secret") is not None:
        _set_secrets(
            credential,
            keyring,
            api_key=changes.get("api_key"),
            api_secret=changes.get("api_secret"),
        )
    await session.flush()
    await session.refresh(credential)
    return credential


async def delete_credential(session: AsyncSession, credential_id: uuid.UUID) -> None:
    credential = await get_credential(session, credential_id)
    await session.delete(credential)
    await session.flush()


async def resolve_credential(
    session: AsyncSession, keyring: Keyring, credential_id: uuid.UUID
) -> ResolvedCredential:
    """Decrypt a credential for a connector; its `api_url` overrides the service default."""
    credential = await get_credential(session, credential_id)
    spec = SERVICES.get(credential.service)
    default = spec.default_api_url if spec else None
    secret = credential.api_secret_encrypted
    return ResolvedCredential(
        id=credential.id,
        service=credential.service,
        api_key=_open(credential, keyring, "api_key", credential.api_key_encrypted),
        api_secret=_open(credential, keyring, "api_secret", secret) if secret is not None else None,
        base_url=resolve_base_url(credential.api_url, default),
        settings=dict(credential.settings),
    )


async def reencrypt_all(session: AsyncSession, keyring: Keyring) -> int:
    """Re-seal every credential not yet under the primary key (SYSTEM scope). Returns the count."""
    rows = await session.scalars(
        select(Credential).where(Credential.key_id != keyring.primary_id).with_for_update()
    )
    count = 0
    for credential in rows:
        _set_secrets(credential, keyring, api_key=None, api_secret=None)
        count += 1
    await session.flush()
    return count
