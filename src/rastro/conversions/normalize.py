"""How each ad platform wants personal data normalized before SHA-256 hashing.

The platforms disagree (see the cheat-sheet of `shared/reference/platforms.md` §6.4):
Meta hashes the phone as digits with the country code and no `+`, Google and TikTok
with the `+`; Google rewrites gmail.com addresses, Meta does not. One set of functions
per platform, named after it; every hash is SHA-256 in lowercase hex.

Every normalizer takes any text without raising: it returns the platform's form, or None
when nothing usable remains (`''`, a phone without enough digits, an address without a
local part), and a value that already is a SHA-256 hex digest unchanged, so that
`hashed()` never hashes it a second time. Normalizing a normalized value changes nothing
(for Meta's phone, digits without `+`, see `meta_phone`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime

import phonenumbers

_NON_DIGITS = re.compile(r"\D")
# Meta's names: lowercase, no punctuation; letters of any script (UTF-8) are kept.
_NOT_NAME = re.compile(r"[^\w\s]|[\d_]")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def is_sha256_hex(value: str) -> bool:
    return bool(_SHA256.match(value))


def hashed(normalized: str | None) -> str | None:
    """SHA-256 hex of a normalized value; a value that already is one is kept as it is
    (never hashed twice); None stays None."""
    if normalized is None:
        return None
    if is_sha256_hex(normalized.lower()):
        return normalized.lower()
    return sha256_hex(normalized)


def _digest(text: str) -> str | None:
    """`text` lower-cased when it already is a SHA-256 hex digest."""
    lowered = text.lower()
    return lowered if is_sha256_hex(lowered) else None


def _address(text: str) -> str | None:
    """`text` when it has the shape of an e-mail address: one `@`, a local part, a dotted
    domain, no whitespace."""
    local, _, domain = text.partition("@")
    if (
        not local
        or "@" in domain
        or "." not in domain.strip(".")
        or any(char.isspace() for char in text)
    ):
        return None
    return text


def _plain_email(raw: str) -> str | None:
    """Trimmed and lower-cased, nothing rewritten: Meta's, TikTok's and LinkedIn's rule."""
    text = raw.strip().lower()
    return _digest(text) or _address(text)


# E.164: a country code (never starting with 0) and at most 15 digits in all.
_E164_DIGITS = re.compile(r"^[1-9][0-9]{6,14}$")


def _international_digits(raw: str, default_calling_code: str) -> str | None:
    """The number's digits with the country code, or None when it is not a phone number.

    Written with `+` or the `00` prefix, the digits are kept as they are (the writer gave
    the country code). Otherwise `phonenumbers` reads them as a number of the default
    country, which recognizes one that already starts with that country's code
    (`5511987654321` is not given a second `55`), else as a foreign number written without
    its `+` (`351912345678`); the number must be valid.
    """
    text = raw.strip()
    digits = _NON_DIGITS.sub("", text)
    if text.startswith("+") or digits.startswith("00"):
        international = digits[2:] if not text.startswith("+") else digits
        return international if _E164_DIGITS.match(international) else None
    if not digits or not default_calling_code.isdigit():
        return None
    region = phonenumbers.region_code_for_country_code(int(default_calling_code))
    for written, reading_region in ((digits, region), ("+" + digits, None)):
        try:
            number = phonenumbers.parse(written, reading_region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    return None


# --- Meta (Conversions API `user_data`) --------------------------------------------------


def meta_email(raw: str) -> str | None:
    """Trimmed and lower-cased; no gmail dot or plus rewriting (Meta's rule for `em`)."""
    return _plain_email(raw)


def meta_phone(raw: str, default_calling_code: str = "55") -> str | None:
    """Digits only, with the country code, no `+` (Meta's rule for `ph`).

    A number written with `+` (E.164, as leads store it) or the `00` international prefix
    keeps its country code; a national number, valid in the country of
    `default_calling_code`, gets that code (once: digits that already start with it keep
    them). `''` and text that is no phone number give None. Digits without `+` can be read
    two ways, so the canonical form is Google's (`meta_phone(google_phone(x))` is
    `meta_phone(x)`); reading Meta's own output again changes nothing for the default
    country's numbers.
    """
    text = raw.strip()
    return _digest(text) or _international_digits(text, default_calling_code)


def meta_name(raw: str) -> str:
    """First or last name: lowercase, punctuation removed, accents kept (`D'Ávila` →
    `dávila`). Meta's documentation, not the SDK, which keeps the punctuation. `''` when
    nothing remains (the caller sends no name); a SHA-256 digest is kept as it is."""
    text = unicodedata.normalize("NFC", raw.strip().lower())
    return _digest(text) or " ".join(_NOT_NAME.sub("", text).split())


def meta_external_id(raw: str) -> str | None:
    """Any stable id of the person, trimmed (hashed like the other keys); None if blank."""
    return raw.strip() or None


def meta_fbc(fbclid: str, clicked_at: datetime) -> str:
    """The `fbc` value Meta documents for a server that saw the fbclid:
    `fb.1.<click time in epoch milliseconds>.<fbclid>`, the fbclid unchanged (it is
    case-sensitive)."""
    return f"fb.1.{int(clicked_at.timestamp() * 1000)}.{fbclid}"


# --- TikTok (Events API 2.0 `user`) -------------------------------------------------------


def tiktok_email(raw: str) -> str | None:
    """Trimmed and lower-cased, nothing rewritten (TikTok's rule for `user.email`)."""
    return _plain_email(raw)


def tiktok_phone(raw: str, default_calling_code: str = "55") -> str | None:
    """E.164 *with* the `+` (TikTok's rule for `user.phone`; its own formatter does
    `"+" + digits`), unlike Meta's digits-only `ph`: the same as Google's."""
    return google_phone(raw, default_calling_code)


def tiktok_external_id(raw: str) -> str | None:
    """Any stable id of the person, trimmed (hashed like e-mail and phone); None if blank."""
    return raw.strip() or None


# --- LinkedIn (Conversions API `user.userIds`) ----------------------------------------------


def linkedin_email(raw: str) -> str | None:
    """Trimmed and lower-cased, nothing rewritten (LinkedIn's rule for `SHA256_EMAIL`).
    LinkedIn matches on no phone; `li_fat_id` is sent as it came, never hashed."""
    return _plain_email(raw)


# --- Google (Google Ads API user identifiers, Data Manager API user data) -----------------

_WHITESPACE = re.compile(r"\s+")
# The only domains whose local part Google rewrites (dots and `+tag` dropped).
GOOGLE_MAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def google_email(raw: str) -> str | None:
    """Google's formatting guide: whitespace removed anywhere, lower-cased; for gmail.com
    and googlemail.com only, every `.` of the local part and a `+tag` are dropped. Other
    domains keep dots and plus signs (unlike the google-ads-python ECL sample, which
    strips them for every domain: platforms.md §1.6). None when no local part remains
    (`+promo@gmail.com` is not `@gmail.com`)."""
    text = _WHITESPACE.sub("", raw).lower()
    if (digest := _digest(text)) is not None:
        return digest
    if _address(text) is None:
        return None
    local, _, domain = text.partition("@")
    if domain in GOOGLE_MAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@{domain}" if local else None


def google_phone(raw: str, default_calling_code: str = "55") -> str | None:
    """E.164 with the leading `+` (Google's rule; Meta's is the same digits without it)."""
    text = raw.strip()
    if (digest := _digest(text)) is not None:
        return digest
    digits = _international_digits(text, default_calling_code)
    return "+" + digits if digits else None
