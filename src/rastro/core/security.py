"""Passwords (argon2id), signed tokens (JWT HS256), opaque secrets and AES-GCM encryption."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_hasher = PasswordHasher()
# Verified against when the account does not exist, so that timing does not reveal it.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-work check: an unknown account costs the same as a wrong password."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random secret."""
    return secrets.token_urlsafe(nbytes)


def new_password(nbytes: int = 12) -> str:
    """A random password (URL-safe characters) that never starts with `-`, which a shell
    command or a CLI would take for an option."""
    password = secrets.token_urlsafe(nbytes)
    while password.startswith("-"):
        password = secrets.token_urlsafe(nbytes)
    return password


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def keyed_hash(key: str, value: str) -> str:
    """HMAC-SHA256 hex: a stable pseudonym that cannot be reversed without the key."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


# --- JWT -------------------------------------------------------------------------------

JWT_ALGORITHM = "HS256"


class TokenError(Exception):
    """The token is malformed, badly signed or of the wrong type."""


class ExpiredToken(TokenError):
    pass


def encode_jwt(
    secret: str, *, subject: str, token_type: str, lifetime: timedelta, claims: dict[str, Any]
) -> str:
    now = datetime.now(UTC)
    payload = {
        **claims,
        "sub": subject,
        "typ": token_type,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, secret, algorithm=JWT_ALGORITHM)


def decode_jwt(secret: str, token: str, *, token_type: str) -> dict[str, Any]:
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "iat", "sub", "typ"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise ExpiredToken("token expired") from exc
    except jwt.PyJWTError as exc:
        raise TokenError(str(exc)) from exc
    if payload.get("typ") != token_type:
        raise TokenError("wrong token type")
    return payload


# --- AES-GCM keyring -------------------------------------------------------------------


class KeyringError(Exception):
    """The encryption key configuration is unusable, or a ciphertext cannot be opened."""


@dataclass(frozen=True)
class EncryptedValue:
    key_id: str
    ciphertext: bytes  # 12-byte nonce followed by the AES-GCM ciphertext and tag


def _decode_key(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError) as exc:
        raise KeyringError("encryption key is not valid base64") from exc
    if len(raw) != 32:
        raise KeyringError(f"encryption key must be 32 bytes (256 bits), got {len(raw)}")
    return raw


class Keyring:
    """AES-256-GCM keys by id. The first key encrypts; all of them decrypt.

    Configured as `ENCRYPTION_KEY="kid1:base64key,kid2:base64oldkey"`; a bare key gets an id
    derived from its hash. Rotation: put the new key first, run `rastro keys rotate`, then
    drop the old one.
    """

    def __init__(self, spec: str) -> None:
        self._keys: dict[str, AESGCM] = {}
        self.primary_id = ""
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            if ":" in part:
                key_id, encoded = part.split(":", 1)
            else:
                encoded = part
                key_id = "k" + hashlib.sha256(encoded.encode()).hexdigest()[:8]
            if not key_id.isalnum() or len(key_id) > 32:
                raise KeyringError(f"invalid key id {key_id!r}")
            if key_id in self._keys:
                raise KeyringError(f"duplicate key id {key_id!r}")
            self._keys[key_id] = AESGCM(_decode_key(encoded))
            self.primary_id = self.primary_id or key_id
        if not self._keys:
            raise KeyringError("ENCRYPTION_KEY holds no key")

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    def encrypt(self, plaintext: str, *, context: str) -> EncryptedValue:
        """Encrypt under the primary key; `context` is bound as associated data."""
        nonce = os.urandom(12)
        sealed = self._keys[self.primary_id].encrypt(nonce, plaintext.encode(), context.encode())
        return EncryptedValue(self.primary_id, nonce + sealed)

    def decrypt(self, value: EncryptedValue, *, context: str) -> str:
        aes = self._keys.get(value.key_id)
        if aes is None:
            raise KeyringError(f"no key with id {value.key_id!r} in ENCRYPTION_KEY")
        try:
            return aes.decrypt(
                value.ciphertext[:12], value.ciphertext[12:], context.encode()
            ).decode()
        except InvalidTag as exc:
            raise KeyringError("ciphertext does not open with its key and context") from exc
