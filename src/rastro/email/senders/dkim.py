"""DKIM signing (RFC 6376) of outgoing mail with `dkimpy`: rsa-sha256, relaxed/relaxed
canonicalization, over the headers a receiver and the one-click unsubscribe rules care
about (Gmail wants `List-Unsubscribe` and `List-Unsubscribe-Post` covered)."""

from __future__ import annotations

from dataclasses import dataclass

import dkim

SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"reply-to",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"mime-version",
    b"content-type",
    b"x-rastro-mid",
)


@dataclass(frozen=True)
class DkimKey:
    domain: str
    selector: str
    private_key_pem: str

    def __repr__(self) -> str:  # keep the private key out of logs
        return f"DkimKey(domain={self.domain!r}, selector={self.selector!r})"


def sign(message: bytes, key: DkimKey) -> bytes:
    """The message with its `DKIM-Signature` header prepended."""
    present = {
        line.split(b":", 1)[0].strip().lower()
        for line in message.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        if line and not line[:1].isspace()
    }
    signature = dkim.sign(
        message,
        key.selector.encode(),
        key.domain.encode(),
        key.private_key_pem.encode(),
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[name for name in SIGNED_HEADERS if name in present],
    )
    return bytes(signature) + message
