"""The static PIX BR Code ("copia e cola") and its QR image, as the Banco Central's
"Manual de Padrões para Iniciação do Pix" specifies them (EMV QRCPS-MPM).

The payload is a list of TLV fields, each `ID (2 digits) LENGTH (2 digits) VALUE`:

| ID | value |
|----|-------|
| 00 | payload format indicator, `01` |
| 26 | merchant account: `00` GUI `br.gov.bcb.pix`, `01` the PIX key, `02` a description |
| 52 | merchant category code, `0000` |
| 53 | currency, `986` (BRL) |
| 54 | amount, e.g. `10.00` (omitted: the payer types it) |
| 58 | country, `BR` |
| 59 | merchant name, at most 25 characters |
| 60 | merchant city, at most 15 characters |
| 62 | additional data: `05` the txid, `***` when there is none |
| 63 | CRC16/CCITT-FALSE of the payload up to and including `6304` (4 hex digits) |

The CRC's polynomial is 0x1021 with initial value 0xFFFF, written in upper-case hex.
Everything here is pure: invalid input raises `ValueError` with the field named, which
the payments service turns into a 422.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import segno

GUI = "br.gov.bcb.pix"
MAX_NAME = 25
MAX_CITY = 15
MAX_KEY = 77
MAX_AMOUNT_LENGTH = 13
# A static BR Code's txid: `***` (none) or 1 to 25 letters and digits. (Charges made
# through the PIX API use 26 to 35; see `gateways.pix_api`.)
TXID = re.compile(r"^(\*\*\*|[A-Za-z0-9]{1,25})$")
# The characters the manual allows in the name and the city: printable ASCII. Accents
# are refused here; `merchant_text` removes them for the configuration screens.
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]+$")
_EMAIL = re.compile(r"^[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}$")
_PHONE = re.compile(r"^\+55\d{10,11}$")
_DIGITS = re.compile(r"^\d+$")


class BrCodeError(ValueError):
    """An input the BR Code cannot carry; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no
    final XOR (crc("123456789") = 0x29B1)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def tlv(field_id: str, value: str) -> str:
    """One field: its id, its length in two digits, its value (at most 99 characters)."""
    if len(value) > 99:
        raise BrCodeError(field_id, f"Field {field_id} is longer than 99 characters.")
    return f"{field_id}{len(value):02d}{value}"


def is_valid_cpf(digits: str) -> bool:
    """11 digits whose two check digits are right (not all the same digit)."""
    if len(digits) != 11 or len(set(digits)) == 1:
        return False
    numbers = [int(d) for d in digits]
    for size in (9, 10):
        total = sum(n * w for n, w in zip(numbers[:size], range(size + 1, 1, -1), strict=True))
        check = (total * 10) % 11 % 10
        if check != numbers[size]:
            return False
    return True


def is_valid_cnpj(digits: str) -> bool:
    """14 digits whose two check digits are right (not all the same digit)."""
    if len(digits) != 14 or len(set(digits)) == 1:
        return False
    numbers = [int(d) for d in digits]
    for size, weights in (
        (12, (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)),
        (13, (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)),
    ):
        remainder = sum(n * w for n, w in zip(numbers[:size], weights, strict=True)) % 11
        check = 0 if remainder < 2 else 11 - remainder
        if check != numbers[size]:
            return False
    return True


def pix_key(value: str) -> str:
    """The PIX key as the DICT stores it: a CPF or CNPJ (digits, check digits valid), an
    e-mail (lower-case), a phone (`+55` and 10 or 11 digits) or a random key (EVP, a
    lower-case UUID). Raises `BrCodeError` for anything else."""
    key = value.strip()
    if not key or len(key) > MAX_KEY:
        raise BrCodeError("pix_key", "The PIX key is empty or longer than 77 characters.")
    if _DIGITS.match(key):
        if (len(key) == 11 and is_valid_cpf(key)) or (len(key) == 14 and is_valid_cnpj(key)):
            return key
        raise BrCodeError("pix_key", "The PIX key is not a valid CPF or CNPJ.")
    if key.startswith("+"):
        if _PHONE.match(key):
            return key
        raise BrCodeError("pix_key", "A phone PIX key is +55 with the area code and number.")
    if "@" in key:
        email = key.lower()
        if _EMAIL.match(email):
            return email
        raise BrCodeError("pix_key", "The PIX key is not a valid e-mail address.")
    try:
        evp = uuid.UUID(key)
    except ValueError:
        raise BrCodeError(
            "pix_key", "The PIX key must be a CPF, CNPJ, e-mail, +55 phone or random key."
        ) from None
    if str(evp) != key.lower():
        raise BrCodeError("pix_key", "A random PIX key is written as a UUID with hyphens.")
    return str(evp)


def merchant_text(value: str, limit: int) -> str:
    """A name or city as the manual wants it: accents removed, upper-case ASCII, spaces
    collapsed, cut to `limit` characters (for the configuration screens' suggestion)."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_only = plain.encode("ascii", "ignore").decode("ascii")
    return " ".join(ascii_only.upper().split())[:limit].rstrip()


def _merchant_field(field: str, value: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise BrCodeError(field, f"The {field.replace('_', ' ')} is required.")
    if not _PRINTABLE_ASCII.match(text):
        raise BrCodeError(
            field,
            f"The {field.replace('_', ' ')} must be plain ASCII without accents "
            f"(e.g. {merchant_text(text, limit)!r}).",
        )
    if len(text) > limit:
        raise BrCodeError(field, f"The {field.replace('_', ' ')} is over {limit} characters.")
    return text


def amount_text(amount: Decimal) -> str:
    """`10.00`: a positive amount with at most two decimals, written with a dot."""
    try:
        exponent = amount.as_tuple().exponent
    except (AttributeError, InvalidOperation):
        raise BrCodeError("amount", "The amount is not a number.") from None
    if not amount.is_finite() or not isinstance(exponent, int):
        raise BrCodeError("amount", "The amount is not a number.")
    if amount <= 0:
        raise BrCodeError("amount", "The amount must be greater than zero.")
    if exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise BrCodeError("amount", "The amount has more than two decimals.")
    text = f"{amount.quantize(Decimal('0.01')):f}"
    if len(text) > MAX_AMOUNT_LENGTH:
        raise BrCodeError("amount", "The amount is too large for a BR Code.")
    return text


def check_txid(txid: str) -> str:
    if not TXID.match(txid):
        raise BrCodeError(
            "txid", "A static PIX txid is *** or 1 to 25 letters and digits (no symbols)."
        )
    return txid


@dataclass(frozen=True)
class StaticPix:
    """What a static BR Code carries."""

    key: str
    merchant_name: str
    merchant_city: str
    amount: Decimal | None = None
    txid: str = "***"
    description: str | None = None


def build_static_brcode(pix: StaticPix) -> str:
    """The BR Code "copia e cola" of a static PIX (CRC included). Raises `BrCodeError`
    (a `ValueError`) naming the field that cannot be carried."""
    key = pix_key(pix.key)
    name = _merchant_field("merchant_name", pix.merchant_name, MAX_NAME)
    city = _merchant_field("merchant_city", pix.merchant_city, MAX_CITY)
    txid = check_txid(pix.txid)
    account = tlv("00", GUI) + tlv("01", key)
    if pix.description:
        description = pix.description.strip()
        if not _PRINTABLE_ASCII.match(description):
            raise BrCodeError("description", "The description must be plain ASCII.")
        room = 99 - len(account) - 4
        if len(description) > room:
            raise BrCodeError("description", f"The description is over {room} characters.")
        account += tlv("02", description)
    payload = tlv("00", "01") + tlv("26", account) + tlv("52", "0000") + tlv("53", "986")
    if pix.amount is not None:
        payload += tlv("54", amount_text(pix.amount))
    payload += tlv("58", "BR") + tlv("59", name) + tlv("60", city)
    payload += tlv("62", tlv("05", txid))
    payload += "6304"
    return payload + f"{crc16_ccitt_false(payload.encode('ascii')):04X}"


def qr_svg(payload: str) -> str:
    """The QR image of a BR Code as an inline SVG (error correction M, as banks print)."""
    code = segno.make_qr(payload, error="m")
    svg: str = code.svg_inline(scale=4, border=4)
    return svg


def qr_png_data_uri(payload: str) -> str:
    """The QR image as a PNG `data:` URI, for pages and e-mails that cannot inline SVG."""
    code = segno.make_qr(payload, error="m")
    uri: str = code.png_data_uri(scale=5, border=4)
    return uri
