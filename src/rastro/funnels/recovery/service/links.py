"""The recovery's links: the signed, expiring resume link and the WhatsApp link.

Resume token: `base64url(case id ‖ organization id ‖ expiry as Unix seconds)` + "." +
`base64url(HMAC-SHA256(key, payload)[:16])`, the key derived from the server's secret
key for this use only. Changing any byte breaks the MAC (400 `invalid_resume_link`); a
token past its expiry is 410 `resume_link_expired`. The token is deterministic for a
case, so every action carries the same link.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote

from rastro.funnels.recovery.errors import InvalidResumeLink, ResumeLinkExpired

RESUME_PATH = "/f/_resume/"
_PURPOSE = b"rastro.recovery.resume.v1"
_PAYLOAD = struct.Struct(">16s16sq")
_MAC_BYTES = 16

MESSAGES = {
    "pt-BR": {
        "pix_unpaid": "Olá, {first_name}! Seu PIX de {amount} para {product} ainda não foi "
        "pago. Você pode concluir a compra por aqui: {link}",
        "boleto_unpaid": "Olá, {first_name}! O boleto de {amount} para {product} ainda não "
        "foi pago. Você pode concluir a compra por aqui: {link}",
        "checkout_abandoned": "Olá, {first_name}! Vi que você começou a compra de {product} "
        "({amount}) e não concluiu. Seu pedido continua aqui: {link}",
    },
    "en": {
        "pix_unpaid": "Hi {first_name}! Your PIX of {amount} for {product} hasn't been paid "
        "yet. You can finish your purchase here: {link}",
        "boleto_unpaid": "Hi {first_name}! Your boleto of {amount} for {product} hasn't been "
        "paid yet. You can finish your purchase here: {link}",
        "checkout_abandoned": "Hi {first_name}! You started buying {product} ({amount}) and "
        "didn't finish. Your order is waiting here: {link}",
    },
}
_NO_NAME = {"pt-BR": "tudo bem", "en": "there"}


@dataclass(frozen=True)
class ResumeClaim:
    case_id: uuid.UUID
    organization_id: uuid.UUID
    expires_at: datetime


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def resume_token(
    secret: str, *, case_id: uuid.UUID, organization_id: uuid.UUID, expires_at: datetime
) -> str:
    """The case's resume token (the same for the same case and expiry)."""
    payload = _PAYLOAD.pack(case_id.bytes, organization_id.bytes, int(expires_at.timestamp()))
    mac = hmac.new(_key(secret), payload, hashlib.sha256).digest()[:_MAC_BYTES]
    return f"{_b64(payload)}.{_b64(mac)}"


def read_resume_token(secret: str, token: str, *, now: datetime | None = None) -> ResumeClaim:
    """The claim of a resume token: 400 `InvalidResumeLink` when it was altered or is not
    a token, 410 `ResumeLinkExpired` when its time is up."""
    if len(token) > 200 or token.count(".") != 1:
        raise InvalidResumeLink()
    encoded_payload, encoded_mac = token.split(".")
    try:
        payload, mac = _unb64(encoded_payload), _unb64(encoded_mac)
    except (binascii.Error, ValueError):
        raise InvalidResumeLink() from None
    expected = hmac.new(_key(secret), payload, hashlib.sha256).digest()[:_MAC_BYTES]
    if len(payload) != _PAYLOAD.size or not hmac.compare_digest(expected, mac):
        raise InvalidResumeLink()
    case_bytes, organization_bytes, expiry = _PAYLOAD.unpack(payload)
    expires_at = datetime.fromtimestamp(expiry, UTC)
    if (now or datetime.now(UTC)) >= expires_at:
        raise ResumeLinkExpired()
    return ResumeClaim(uuid.UUID(bytes=case_bytes), uuid.UUID(bytes=organization_bytes), expires_at)


def resume_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{RESUME_PATH}{token}"


def first_name(name: str | None) -> str | None:
    parts = (name or "").split()
    return parts[0][:60] if parts else None


def format_amount(amount: Decimal, currency: str, language: str) -> str:
    """`R$ 1.234,56` in pt-BR, `R$1,234.56` in English (other currencies by their code)."""
    text = f"{amount:,.2f}"
    symbol = "R$" if currency == "BRL" else currency
    if language == "pt-BR":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
        return f"{symbol} {text}"
    return f"{symbol}{text}" if symbol == "R$" else f"{symbol} {text}"


def whatsapp_message(
    *,
    kind: str,
    language: str,
    template: str | None,
    name: str | None,
    product: str | None,
    amount: Decimal,
    currency: str,
    link: str,
) -> str:
    """The message for the buyer, in the funnel's language (or its custom template)."""
    language = language if language in MESSAGES else "pt-BR"
    text = template or MESSAGES[language][kind]
    values = {
        "{first_name}": first_name(name) or _NO_NAME[language],
        "{product}": product or ("seu pedido" if language == "pt-BR" else "your order"),
        "{amount}": format_amount(amount, currency, language),
        "{link}": link,
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def whatsapp_url(phone: str | None, message: str) -> str | None:
    """`https://wa.me/<digits>?text=<message>` for the buyer's phone (None without one)."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if not 10 <= len(digits) <= 15:
        return None
    return f"https://wa.me/{digits}?text={quote(message, safe='')}"
