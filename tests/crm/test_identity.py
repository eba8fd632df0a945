"""A person's e-mail and phone as lead capture and the CRM store them: any text gives a
normalized value or a 422 naming the field, never another error; normalizing twice changes
nothing; a `+tag` alone is no address; a number already in E.164 keeps one country code."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rastro.core.errors import UnprocessableEntity
from rastro.crm.service.identity import Email, normalize_email, normalize_phone, parse_phone

HASH = hashlib.sha256(b"jane@example.com").hexdigest()


def _loc(error: UnprocessableEntity) -> list[str]:
    return [detail["loc"] for detail in error.details]


@pytest.mark.parametrize("raw", ["+promo@gmail.com", " +Promo@GMail.com ", "+@empresa.com.br"])
def test_an_address_that_is_only_a_plus_tag_is_refused(raw):
    with pytest.raises(UnprocessableEntity) as refused:
        normalize_email(raw, field="body.email")
    assert _loc(refused.value) == ["body.email"]
    assert "+tag" in refused.value.details[0]["message"]


def test_a_plus_tag_after_a_mailbox_is_kept():
    email = normalize_email(" Jane.Doe+Promo@GMail.com ")
    assert email.address == "jane.doe+promo@gmail.com"
    assert email.hashed == hashlib.sha256(b"jane.doe+promo@gmail.com").hexdigest()


@pytest.mark.parametrize("raw", ["", "  ", "55", "+", "12", HASH, "abc"])
def test_blank_short_or_hashed_text_is_no_phone(raw):
    assert parse_phone(raw, "BR") is None
    with pytest.raises(UnprocessableEntity) as refused:
        normalize_phone(raw, "BR")
    assert _loc(refused.value) == ["phone"]


def test_a_number_already_in_e164_keeps_one_country_code():
    for written in ("+55 11 98765-4321", "5511987654321", "(11) 98765-4321", "011 98765-4321"):
        phone = parse_phone(written, "BR")
        assert phone is not None, written
        assert phone.e164 == "+5511987654321", written
        assert phone.country == "BR"
    assert normalize_phone("+351 912 345 678", "BR").e164 == "+351912345678"


def _email_or_refusal(raw: str) -> Email | UnprocessableEntity:
    try:
        return normalize_email(raw)
    except UnprocessableEntity as refused:
        return refused


@given(st.text(max_size=80))
def test_any_text_is_an_address_or_a_422_and_stays_normalized(raw):
    email = _email_or_refusal(raw)
    if isinstance(email, UnprocessableEntity):
        assert _loc(email) == ["email"]
        return
    local, _, domain = email.address.partition("@")
    assert local.split("+", 1)[0]
    assert domain == email.domain
    assert email.address == email.address.lower().strip()
    assert normalize_email(email.address) == email
    assert re.fullmatch(r"[0-9a-f]{64}", email.hashed)


@given(st.emails())
def test_generated_addresses_are_normalized_once(address):
    try:
        email = normalize_email(address)
    except UnprocessableEntity:  # e.g. a `+tag` alone, or a name email-validator refuses
        return
    assert normalize_email(email.address) == email
    assert normalize_email(email.address.upper()) == email


@given(
    st.text(max_size=40) | st.text(alphabet="0123456789 +-().", max_size=24),
    st.sampled_from(["BR", "PT", "US"]),
)
def test_any_text_is_a_phone_or_none_and_stays_normalized(raw, country):
    phone = parse_phone(raw, country)
    if phone is None:
        return
    assert re.fullmatch(r"\+[1-9][0-9]{6,14}", phone.e164)
    assert parse_phone(phone.e164, country) == phone


@given(st.from_regex(r"[1-9][1-9]9[0-9]{8}|[1-9][1-9][2-5][0-9]{7}", fullmatch=True))
def test_a_brazilian_number_with_or_without_its_country_code_is_one_number(national):
    phone = parse_phone(national, "BR")
    if phone is None:  # an area code Brazil does not have
        return
    assert phone.e164 == "+55" + national
    assert parse_phone(phone.e164, "BR") == phone
    assert parse_phone(phone.e164[1:], "BR") == phone
    assert parse_phone(phone.e164, "PT") == phone
