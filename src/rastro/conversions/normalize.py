"""How each ad platform wants personal data normalized before SHA-256 hashing.

The platforms disagree (see the cheat-sheet of `shared/reference/platforms.md` §6.4):
Meta hashes the phone as digits with the country code and no `+`, Google and TikTok
with the `+`; Google rewrites gmail.com addresses, Meta does not. One set of functions
per platform, named after it; every hash is SHA-256 in lowercase hex.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime

_NON_DIGITS = re.compile(r"\D")
# Meta's names: lowercase, no punctuation; letters of any script (UTF-8) are kept.
_NOT_NAME = re.compile(r"[^\w\s]|[\d_]")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def is_sha256_hex(value: str) -> bool:
    return bool(_SHA256.match(value))


# --- Meta (Conversions API `user_data`) --------------------------------------------------


def meta_email(raw: str) -> str:
    """Trimmed and lower-cased; no gmail dot or plus rewriting (Meta's rule for `em`)."""
    return raw.strip().lower()


def meta_phone(raw: str, default_calling_code: str = "55") -> str:
    """Digits only, with the country code, no `+` (Meta's rule for `ph`).

    A number written with `+` (E.164, as leads store it) or the `00` international prefix
    keeps its country code; a national number gets `default_calling_code` after its
    trunk zeros are dropped.
    """
    text = raw.strip()
    digits = _NON_DIGITS.sub("", text)
    if text.startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    return default_calling_code + digits.lstrip("0")


def meta_name(raw: str) -> str:
    """First or last name: lowercase, punctuation removed, accents kept (`D'Ávila` →
    `dávila`). Meta's documentation, not the SDK, which keeps the punctuation."""
    text = unicodedata.normalize("NFC", raw.strip().lower())
    return " ".join(_NOT_NAME.sub("", text).split())


def meta_external_id(raw: str) -> str:
    """Any stable id of the person, trimmed (hashed like the other keys)."""
    return raw.strip()


def meta_fbc(fbclid: str, clicked_at: datetime) -> str:
    """The `fbc` value Meta documents for a server that saw the fbclid:
    `fb.1.<click time in epoch milliseconds>.<fbclid>`, the fbclid unchanged (it is
    case-sensitive)."""
    return f"fb.1.{int(clicked_at.timestamp() * 1000)}.{fbclid}"


# --- TikTok (Events API 2.0 `user`) -------------------------------------------------------


def tiktok_email(raw: str) -> str:
    """Trimmed and lower-cased, nothing rewritten (TikTok's rule for `user.email`)."""
    return raw.strip().lower()


def tiktok_phone(raw: str, default_calling_code: str = "55") -> str:
    """E.164 *with* the `+` (TikTok's rule for `user.phone`; its own formatter does
    `"+" + digits`), unlike Meta's digits-only `ph`: the same as Google's."""
    return google_phone(raw, default_calling_code)


def tiktok_external_id(raw: str) -> str:
    """Any stable id of the person, trimmed (hashed like e-mail and phone)."""
    return raw.strip()


# --- LinkedIn (Conversions API `user.userIds`) ----------------------------------------------


def linkedin_email(raw: str) -> str:
    """Trimmed and lower-cased, nothing rewritten (LinkedIn's rule for `SHA256_EMAIL`).
    LinkedIn matches on no phone; `li_fat_id` is sent as it came, never hashed."""
    return raw.strip().lower()


# --- Google (Google Ads API user identifiers, Data Manager API user data) -----------------

_WHITESPACE = re.compile(r"\s+")
# The only domains whose local part Google rewrites (dots and `+tag` dropped).
GOOGLE_MAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def google_email(raw: str) -> str:
    """Google's formatting guide: whitespace removed anywhere, lower-cased; for gmail.com
    and googlemail.com only, every `.` of the local part and a `+tag` are dropped. Other
    domains keep dots and plus signs (unlike the google-ads-python ECL sample, which
    strips them for every domain: platforms.md §1.6)."""
    text = _WHITESPACE.sub("", raw).lower()
    local, at, domain = text.rpartition("@")
    if not at:
        return text
    if domain in GOOGLE_MAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@{domain}"


def google_phone(raw: str, default_calling_code: str = "55") -> str:
    """E.164 with the leading `+` (Google's rule; Meta's is the same digits without it)."""
    return "+" + meta_phone(raw, default_calling_code)
