"""The credentials vault: external service accounts with their secrets encrypted at rest.

Secrets are the API key, the API secret and the settings the service catalogue marks secret
(rastro.auth.catalog): each is sealed with AES-GCM bound to its row and field, all of a row
under one key id, and shown only masked. Connectors get the plain values from
`resolve_credential`, the secret settings merged back into `settings`.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.catalog import SERVICES, ServiceSpec
from rastro.auth.models import Credential
from rastro.core import webhooks
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


def webhook_target(credential: ResolvedCredential | None) -> tuple[str, str] | None:
    """(URL, signing secret) of an outbound `webhook` credential; None when it is not one
    or its URL is not an http(s) URL."""
    if credential is None or credential.service != "webhook":
        return None
    url = credential.settings.get("url") or credential.base_url
    if not webhooks.valid_url(url):
        return None
    return str(url), credential.api_secret or credential.api_key


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
    not_text = [
        name
        for name, value in settings.items()
        if spec.is_secret_setting(name) and value is not None and not isinstance(value, str)
    ]
    if not_text:
        raise UnprocessableEntity(
            "Secret settings are text.",
            details=[
                {"loc": f"body.settings.{name}", "message": "a string", "type": "string_type"}
                for name in not_text
            ],
        )
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
    complete: bool = True,
) -> Credential:
    """A new credential. `complete=False` (an account connected by OAuth whose ad account
    is still to be chosen) skips the required settings: it must then be inactive."""
    spec = _service(service)
    if complete:
        _check_settings(spec, settings)
    elif is_active:
        raise ValueError("an incomplete credential cannot be active")
    plain, secret = _split_settings(spec, settings)
    credential = Credential(
        id=uuid.uuid4(),
        name=name,
        service=service,
        api_url=api_url,
        settings=plain,
        secret_settings={},
        is_active=is_active,
        created_by_id=created_by_id,
        api_key_encrypted=b"",
        key_id="",
        api_key_hint="",
    )
    session.add(credential)
    await session.flush()  # stamps organization_id, which the encryption context binds
    _set_secrets(credential, keyring, api_key=api_key, api_secret=api_secret, settings=secret)
    await session.flush()
    await session.refresh(credential)
    return credential


def _split_settings(
    spec: ServiceSpec, settings: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str | None]]:
    """(plain settings, secret settings) as the catalogue classes them."""
    plain = {k: v for k, v in settings.items() if not spec.is_secret_setting(k)}
    secret = {k: v for k, v in settings.items() if spec.is_secret_setting(k)}
    return plain, secret


def _open_settings(credential: Credential, keyring: Keyring) -> dict[str, str]:
    return {
        name: _open(credential, keyring, f"settings.{name}", base64.b64decode(sealed["ciphertext"]))
        for name, sealed in (credential.secret_settings or {}).items()
    }


def _set_secrets(
    credential: Credential,
    keyring: Keyring,
    *,
    api_key: str | None,
    api_secret: str | None,
    settings: dict[str, str | None] | None = None,
) -> None:
    """Seal the given secrets (a secret setting set to None is removed) and re-seal the
    others, so that all the row's ciphertexts use the same (primary) key id."""
    current_key = (
        api_key
        if api_key is not None
        else _open(credential, keyring, "api_key", credential.api_key_encrypted)
    )
    current_secret = api_secret
    if api_secret is None and credential.api_secret_encrypted is not None:
        current_secret = _open(credential, keyring, "api_secret", credential.api_secret_encrypted)
    secret_settings: dict[str, str | None] = {**_open_settings(credential, keyring)}
    secret_settings.update(settings or {})
    credential.api_key_encrypted = _seal(credential, keyring, "api_key", current_key)
    credential.api_key_hint = hint(current_key)
    if current_secret is not None:
        credential.api_secret_encrypted = _seal(credential, keyring, "api_secret", current_secret)
        credential.api_secret_hint = hint(current_secret)
    credential.secret_settings = {
        name: {
            "ciphertext": base64.b64encode(
                _seal(credential, keyring, f"settings.{name}", value)
            ).decode(),
            "hint": hint(value),
        }
        for name, value in sorted(secret_settings.items())
        if value is not None
    }


def masked_settings(credential: Credential) -> dict[str, Any]:
    """The settings as responses show them: every secret one masked."""
    spec = SERVICES.get(credential.service)
    shown: dict[str, Any] = {}
    for name, value in (credential.settings or {}).items():
        legacy = spec is not None and spec.is_secret_setting(name) and value is not None
        # Stored before secret settings were encrypted (until `rastro keys rotate`).
        shown[name] = masked(hint(str(value))) if legacy else value
    for name, sealed in (credential.secret_settings or {}).items():
        shown[name] = masked(str(sealed.get("hint") or ""))
    return shown


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
    """Apply the given fields; omitted (or masked) secrets keep their value, `api_url: null`
    clears it, a secret setting set to null is removed."""
    credential = await get_credential(session, credential_id)
    spec = _service(credential.service)
    for field in ("name", "api_url", "is_active"):
        if field in changes:
            setattr(credential, field, changes[field])
    secret: dict[str, str | None] = {}
    if changes.get("settings") is not None:
        plain, secret = _split_settings(spec, changes["settings"])
        # Secret settings are write-only: omitted or sent back masked, one keeps its value.
        # A plain-text one stored before they were encrypted is encrypted now.
        secret = {
            **_legacy_secret_settings(credential),
            **{
                name: value
                for name, value in secret.items()
                if not (isinstance(value, str) and value.startswith(MASK))
            },
        }
        kept = {name: "kept" for name in credential.secret_settings or {}}
        _check_settings(spec, {**kept, **plain, **secret})
        credential.settings = plain
    if changes.get("api_key") is not None or changes.get("api_secret") is not None or secret:
        _set_secrets(
            credential,
            keyring,
            api_key=changes.get("api_key"),
            api_secret=changes.get("api_secret"),
            settings=secret,
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
        settings={**credential.settings, **_open_settings(credential, keyring)},
    )


def _legacy_secret_settings(credential: Credential) -> dict[str, str | None]:
    """Secret settings stored in plain text before they were encrypted."""
    spec = SERVICES.get(credential.service)
    if spec is None:
        return {}
    return {
        name: str(value)
        for name, value in (credential.settings or {}).items()
        if spec.is_secret_setting(name) and value is not None
    }


async def reencrypt_all(session: AsyncSession, keyring: Keyring) -> int:
    """Re-seal every credential not yet under the primary key and encrypt secret settings
    still in plain text (SYSTEM scope); running it again changes nothing. Returns the count."""
    rows = await session.scalars(select(Credential).with_for_update())
    count = 0
    for credential in rows:
        legacy = _legacy_secret_settings(credential)
        if credential.key_id == keyring.primary_id and not legacy:
            continue
        if legacy:
            credential.settings = {k: v for k, v in credential.settings.items() if k not in legacy}
        _set_secrets(credential, keyring, api_key=None, api_secret=None, settings=legacy)
        count += 1
    await session.flush()
    return count
