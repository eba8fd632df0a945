"""Personal data at rest: AES-GCM columns and blind indexes.

`EncryptedText` and `EncryptedJSON` are column types: the code reads and writes plain
values, the database holds `<key id>:<base64url(nonce + ciphertext + tag)>`, sealed under
the primary key of the foundation's `Keyring` (`ENCRYPTION_KEY`) with the column's name
(`contacts.email`) bound as associated data, so a value copied into another column does
not open. The key id stays with each value: after `rastro keys rotate` re-seals them, the
old key can leave `ENCRYPTION_KEY`.

A ciphertext cannot be compared, so lookups go through **blind indexes**: a keyed
HMAC-SHA256 of the normalised value (`blind_index`), in a column of its own beside the
ciphertext — exact lookups and unique indexes work on it; nothing else does. Search words
are indexed the same way (`word_tokens`): a search matches whole words only. The index
key is `BLIND_INDEX_KEY` (else derived from `SECRET_KEY`); it is not the ad platforms'
keyless SHA-256 (`hashed_email`), which anyone holding an address can recompute.

The process configures the key ring once (`configure`, by `rastro.runtime`); comparing an
encrypted column with a value raises, so that a lookup that forgot its blind index fails
loudly instead of matching nothing.
"""

from __future__ import annotations

import base64
import hmac
import re
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from rastro.core.security import EncryptedValue, Keyring, KeyringError

__all__ = [
    "EncryptedJSON",
    "EncryptedText",
    "KeyringError",
    "blind_index",
    "configure",
    "configured",
    "encrypted_document",
    "encrypted_json",
    "encrypted_optional_json",
    "encrypted_required_text",
    "encrypted_text",
    "key_id_of",
    "word_tokens",
]

# Length of a blind index in hex characters (128 bits: collisions are not a concern for
# uniqueness within one organization) and of a search word's token (64 bits: a collision
# would add one false hit to a search).
INDEX_HEX = 32
TOKEN_HEX = 16


@dataclass(frozen=True)
class _Config:
    keyring: Keyring
    index_key: bytes
    # The HMAC with its key already absorbed: each index copies it (a fresh `hmac.new`
    # per value costs several times more, and a capture computes about twenty).
    mac: Any


_config: _Config | None = None


def configure(keyring: Keyring, index_key: str) -> None:
    """Set the process's key ring and blind-index key (every process that opens a
    database does, through `rastro.runtime.make_databases`)."""
    global _config
    if not index_key:
        raise KeyringError("the blind index key is empty")
    _config = _Config(keyring, index_key.encode(), hmac.new(index_key.encode(), None, "sha256"))


def configured() -> Keyring:
    """The key ring personal data is sealed with; raises when none was configured."""
    return _require().keyring


def _require() -> _Config:
    if _config is None:
        raise KeyringError("personal-data encryption is not configured (rastro.core.personal)")
    return _config


def seal(value: str, *, context: str) -> str:
    sealed = _require().keyring.encrypt(value, context=context)
    return f"{sealed.key_id}:{base64.urlsafe_b64encode(sealed.ciphertext).decode()}"


def unseal(stored: str, *, context: str) -> str:
    key_id, sep, encoded = stored.partition(":")
    if not sep:
        raise KeyringError(f"{context}: a stored value has no key id")
    return _require().keyring.decrypt(
        EncryptedValue(key_id, base64.urlsafe_b64decode(encoded)), context=context
    )


def key_id_of(stored: str) -> str:
    """The id of the key a stored value was sealed with."""
    return stored.partition(":")[0]


def normalise(value: str) -> str:
    """What a blind index is computed on: trimmed, lower-cased (e-mail addresses are
    stored lower-cased; a phone in E.164 is unchanged)."""
    return value.strip().lower()


def _mac(label: str, value: str) -> str:
    mac = _require().mac.copy()
    mac.update(f"{label}\x00{value}".encode())
    return str(mac.hexdigest())


def blind_index(kind: str, value: str | None) -> str | None:
    """The keyed HMAC of the normalised value (`kind` separates e-mail from phone)."""
    if value is None or not value.strip():
        return None
    return _mac(kind, normalise(value))[:INDEX_HEX]


_WORD = re.compile(r"[^\W_]+")


def words(text: str | None) -> list[str]:
    """The words of a text as search sees them: letters and digits, lower-cased."""
    return _WORD.findall(text.lower()) if text else []


def word_tokens(plain_words: list[str]) -> list[str]:
    """The blind tokens of whole words (search by exact word), without duplicates."""
    return sorted({_mac("word", word[:100])[:TOKEN_HEX] for word in plain_words if word})


class EncryptedText(TypeDecorator[str]):
    """A text column stored sealed (see the module docstring)."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    class comparator_factory(Text.Comparator[str]):
        def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
            if op.__name__ not in ("is_", "is_not"):
                raise TypeError(
                    "an encrypted column cannot be compared: look it up by its blind index"
                )
            return super().operate(op, *other, **kwargs)

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else seal(value, context=self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else unseal(value, context=self.context)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document stored sealed as one text value (never queried inside). With
    `null_is_empty`, a NULL reads as `{}` (a row written by SQL that left it out)."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str, *, null_is_empty: bool = False) -> None:
        super().__init__()
        self.context = context
        self.null_is_empty = null_is_empty

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else seal_json(value, context=self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return {} if self.null_is_empty else None
        return unseal_json(value, context=self.context)


def encrypted_text(table: str, field: str) -> Mapped[str | None]:
    """A model's text field stored encrypted in `<field>_encrypted`, read as `field`."""
    return mapped_column(f"{field}_encrypted", EncryptedText(f"{table}.{field}"), key=field)


def encrypted_required_text(table: str, field: str) -> Mapped[str]:
    """`encrypted_text` for a field that is never null."""
    return mapped_column(
        f"{field}_encrypted", EncryptedText(f"{table}.{field}"), key=field, nullable=False
    )


def encrypted_json(table: str, field: str) -> Mapped[Any]:
    """A model's JSON document stored encrypted in `<field>_encrypted` (`{}` when unset)."""
    return mapped_column(
        f"{field}_encrypted", EncryptedJSON(f"{table}.{field}"), key=field, default=dict
    )


def encrypted_document(table: str, field: str, *, attribute: str | None = None) -> Mapped[Any]:
    """A free-form JSON document (metadata, a timeline entry's data) stored encrypted in
    `<field>_encrypted`, read as `attribute` (default: `field`): `{}` when unset, and a
    NULL (a row inserted by SQL that did not write it) reads as `{}` too."""
    return mapped_column(
        f"{field}_encrypted",
        EncryptedJSON(f"{table}.{field}", null_is_empty=True),
        key=attribute or field,
        default=dict,
        nullable=True,
    )


def encrypted_optional_json(table: str, field: str) -> Mapped[Any]:
    """`encrypted_json` for a document that may be absent (null)."""
    return mapped_column(f"{field}_encrypted", EncryptedJSON(f"{table}.{field}"), key=field)


def seal_json(value: Any, *, context: str) -> str:
    return seal(orjson.dumps(value, default=str).decode(), context=context)


def unseal_json(stored: str, *, context: str) -> Any:
    return orjson.loads(unseal(stored, context=context))
