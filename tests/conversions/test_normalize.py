"""Meta's normalization and hashing, against Meta's published test vectors, its written
rules where the SDK departs from them, and properties over many inputs."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rastro.conversions import normalize
from rastro.conversions.connectors.base import ConversionRecord
from rastro.conversions.connectors.meta import MetaConnector


def sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


# Meta's customer-information-parameters page: input -> expected SHA-256.
@pytest.mark.parametrize(
    ("function", "raw", "expected"),
    [
        (
            normalize.meta_email,
            "John_Smith@gmail.com",
            "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f",
        ),
        (
            normalize.meta_phone,
            "+1 (650)555-1212",
            "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176",
        ),
        (
            normalize.meta_name,
            "Mary",
            "6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec",
        ),
        (
            normalize.meta_name,
            "Valéry",
            "08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c",
        ),
    ],
)
def test_meta_published_vectors(function, raw, expected):
    assert normalize.sha256_hex(function(raw)) == expected


def test_meta_rules_differ_from_google_and_the_sdk():
    # No gmail rewriting for Meta (Google would give janedoe@gmail.com).
    assert normalize.meta_email(" Jane.Doe+promo@GMail.com ") == "jane.doe+promo@gmail.com"
    # Digits with the country code and no "+" (Google and TikTok keep the "+").
    assert normalize.meta_phone("+55 (11) 98765-4321") == "5511987654321"
    assert normalize.meta_phone("(11) 98765-4321") == "5511987654321"
    assert normalize.meta_phone("0055 11 98765-4321") == "5511987654321"
    assert normalize.meta_phone("(650)555-1212", default_calling_code="1") == "16505551212"
    # Names lose punctuation (the SDK keeps it: d'ávila).
    assert normalize.meta_name("D'Ávila") == "dávila"
    assert normalize.meta_name("  Mary-Jane  ") == "maryjane"


def test_fbc_from_the_fbclid_and_the_click_time():
    clicked = datetime(2026, 3, 1, 14, 5, 9, 123000, tzinfo=UTC)
    fbclid = "IwAR2F4-dbP0l7Mn1IawQQ"
    assert normalize.meta_fbc(fbclid, clicked) == f"fb.1.1772373909123.{fbclid}"


def _record(**fields):
    base = dict(
        conversion_id=__import__("uuid").uuid4(),
        order_id="ORDER-1",
        conversion_name="purchase",
        conversion_date=datetime.now(UTC),
        value=None,
        currency="BRL",
        clicked_at=datetime(2026, 3, 1, tzinfo=UTC),
        click_ids={},
        email=None,
        phone=None,
        name=None,
        person_id="p-1",
        page_url=None,
    )
    base.update(fields)
    return ConversionRecord(**base)


def test_the_fbc_cookie_wins_over_the_fbclid():
    meta = MetaConnector()
    event = meta.event(_record(click_ids={"fbclid": "abc", "fbc": "fb.1.1700000000000.abc"}))
    assert event["user_data"]["fbc"] == "fb.1.1700000000000.abc"
    event = meta.event(_record(click_ids={"fbclid": "abc", "fbp": "fb.1.1700000000000.42"}))
    assert event["user_data"]["fbc"] == "fb.1.1772323200000.abc"
    assert event["user_data"]["fbp"] == "fb.1.1700000000000.42"


@given(st.emails())
def test_meta_email_is_idempotent_and_hashes_to_lowercase_hex(address):
    padded = f"  {address.upper()} "
    once = normalize.meta_email(padded)
    assert once == normalize.meta_email(once) == address.lower()
    assert re.fullmatch(r"[0-9a-f]{64}", normalize.sha256_hex(once))


@given(
    st.from_regex(r"\+[1-9][0-9]{7,13}", fullmatch=True),
    st.sampled_from([" ", "-", "(", ")", "."]),
)
def test_meta_phone_keeps_every_digit_of_an_e164_number(e164, separator):
    written = e164[:3] + separator + e164[3:6] + separator + e164[6:]
    assert normalize.meta_phone(written) == e164[1:]
    assert normalize.meta_phone(e164) == e164[1:]


@given(st.text(min_size=1, max_size=40))
def test_meta_names_have_no_punctuation_or_digits(raw):
    name = normalize.meta_name(raw)
    assert name == normalize.meta_name(name)
    assert not re.search(r"[^\w\s]|[\d_]", name)
    assert name == name.lower()
