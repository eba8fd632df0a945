"""The CRM's personal fields at rest: which columns are sealed, their blind indexes and
search tokens (see `rastro.core.personal`).

Contacts and leads keep e-mail, phone, name, company (and a lead's message) encrypted; the
e-mail's and phone's blind indexes (`email_index`, `phone_index`) serve exact lookups and
the one-contact-per-e-mail unique index; `crm_search_terms` holds blind tokens of the words
of name, e-mail and company and of the phone's digits (whole, without country code, without
area code), so `?q=` finds whole words only.

ORM writes get their indexes and tokens from the mapper events in `rastro.crm.models`; the
paths that write with Core statements (lead capture's database function, bulk imports)
call `index_values` and `terms` themselves.
"""

from __future__ import annotations

from typing import Any

from rastro.core.personal import blind_index, seal, word_tokens, words

CONTACT_FIELDS = ("email", "phone", "name", "company")
LEAD_FIELDS = ("email", "phone", "name", "company", "message")
INDEXED = ("email", "phone")
SEARCHED = ("email", "phone", "name", "company")


def sealed(table: str, field: str, value: str | None) -> str | None:
    """The stored form of a field (for statements that bypass the column types)."""
    return None if value is None else seal(value, context=f"{table}.{field}")


def index_values(email: str | None, phone: str | None) -> dict[str, str | None]:
    return {"email_index": blind_index("email", email), "phone_index": blind_index("phone", phone)}


def phone_words(phone: str | None) -> list[str]:
    """A phone's digits whole, and without country code (last 11) and area code (last 9)."""
    digits = "".join(c for c in phone or "" if c.isdigit())
    return [digits, digits[-11:], digits[-9:]] if digits else []


def field_words(field: str, value: str | None) -> list[str]:
    return phone_words(value) if field == "phone" else words(value)


def terms(values: dict[str, Any]) -> list[str]:
    """The search tokens of a record's searched fields."""
    plain: list[str] = []
    for field in SEARCHED:
        plain.extend(field_words(field, values.get(field)))
    return word_tokens(plain)


def query_tokens(query_words: list[str]) -> list[str]:
    """The tokens a search looks up, one per word of the search box, in order."""
    return [word_tokens([word])[0] for word in query_words if word]
