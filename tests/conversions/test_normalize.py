"""Meta's normalization and hashing, against Meta's published test vectors, its written
rules where the SDK departs from them, and properties over many inputs."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import phonenumbers
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


# --- safe on any input (issue 15, item 5) ----------------------------------------------------

HASH = sha("jane@example.com")
EMAILS = (
    normalize.meta_email,
    normalize.tiktok_email,
    normalize.linkedin_email,
    normalize.google_email,
)
PHONES = (normalize.meta_phone, normalize.tiktok_phone, normalize.google_phone)
IDS = (normalize.meta_external_id, normalize.tiktok_external_id)


def _valid(function, value: str) -> bool:
    """What a normalizer may return besides None: its platform's form or a digest."""
    if normalize.is_sha256_hex(value):
        return True
    if function in EMAILS:
        local, _, domain = value.partition("@")
        return bool(local) and "." in domain.strip(".") and not re.search(r"[@\s]", domain)
    if function is normalize.meta_phone:
        return bool(re.fullmatch(r"[1-9][0-9]{6,14}", value))
    if function in PHONES:
        return bool(re.fullmatch(r"\+[1-9][0-9]{6,14}", value))
    return value == value.strip() != ""


def test_an_address_that_is_only_a_plus_tag_is_not_hashed_as_the_domain():
    assert normalize.google_email("+promo@gmail.com") is None
    assert normalize.google_email(" .+promo@GoogleMail.com") is None
    assert normalize.google_email("j.ane+promo@gmail.com") == "jane@gmail.com"
    # Other domains keep the plus sign: the address is hashed as written.
    assert normalize.google_email("+promo@empresa.com.br") == "+promo@empresa.com.br"


def test_blank_or_non_phone_text_gives_no_phone_and_never_a_bare_country_code():
    for function in PHONES:
        for raw in ("", "   ", "-", "abc", "+", "00", "12"):
            assert function(raw) is None, (function.__name__, raw)
    for function in EMAILS:
        for raw in ("", " ", "jane", "@gmail.com", "jane@", "jane@localhost", "a@b@c.com"):
            assert function(raw) is None, (function.__name__, raw)
    assert normalize.meta_email("a b@c.com") is None
    assert normalize.google_email("a b@c.com") == "ab@c.com"  # Google drops all whitespace
    for function in IDS:
        assert function("  ") is None


def test_a_number_already_in_e164_gets_no_second_country_code():
    for written in ("+55 11 98765-4321", "5511987654321", "55 (11) 98765-4321", "0055 11987654321"):
        assert normalize.meta_phone(written) == "5511987654321", written
        assert normalize.google_phone(written) == "+5511987654321", written
        assert normalize.tiktok_phone(written) == "+5511987654321", written
    # A Brazilian number whose area code is 55 (Santa Maria) is still national.
    assert normalize.meta_phone("(55) 99123-4567") == "5555991234567"
    assert normalize.meta_phone("5555991234567") == "5555991234567"
    assert normalize.meta_phone("16505551212", default_calling_code="1") == "16505551212"


def test_a_digest_is_never_hashed_twice():
    for function in (*EMAILS, *PHONES, *IDS, normalize.meta_name):
        assert function(HASH) == HASH, function.__name__
        assert normalize.hashed(function(f" {HASH.upper()} ")) == HASH, function.__name__
    assert normalize.hashed("jane@example.com") == HASH
    assert normalize.hashed(HASH) == HASH
    assert normalize.hashed(None) is None


def test_the_connectors_send_a_digest_as_it_came_and_leave_out_what_is_not_usable():
    meta = MetaConnector()
    user = meta.event(_record(email=HASH, phone=sha("5511987654321")))["user_data"]
    assert user["em"] == [HASH]
    assert user["ph"] == [sha("5511987654321")]
    user = meta.event(_record(email="+", phone="  ", click_ids={"fbp": "fb.1.1.2"}))["user_data"]
    assert "em" not in user
    assert "ph" not in user
    assert sha("55") not in str(user)


# Any text, and text made of what phone numbers are written with.
ANY_TEXT = st.text(max_size=80) | st.text(alphabet="0123456789 +-().", max_size=24)


@given(ANY_TEXT)
def test_every_normalizer_takes_any_text(raw):
    for function in (*EMAILS, *PHONES, *IDS):
        once = function(raw)
        assert once is None or _valid(function, once), (function.__name__, once)
        if once is not None:
            assert normalize.hashed(normalize.hashed(once)) == normalize.hashed(once)
            if function is not normalize.meta_phone:  # digits without "+": read below
                assert function(once) == once, function.__name__
    # Meta's digits are Google's E.164 without the "+", and read back through it unchanged.
    meta, google = normalize.meta_phone(raw), normalize.google_phone(raw)
    assert (meta is None) == (google is None)
    if meta is not None and google is not None:
        assert google in (meta, "+" + meta)
        assert normalize.meta_phone(google) == meta
    name = normalize.meta_name(raw)
    assert normalize.meta_name(name) == name


@given(st.from_regex(r"[1-9][1-9]9[0-9]{8}|[1-9][1-9][2-5][0-9]{7}", fullmatch=True))
def test_a_national_number_is_read_once_and_stays_read(national):
    once = normalize.meta_phone(national)
    brazilian = phonenumbers.is_valid_number(phonenumbers.parse(national, "BR"))
    assert (once == "55" + national) is brazilian
    if once is None:  # neither Brazilian nor a foreign number without its "+"
        return
    assert normalize.meta_phone(once) == once
    assert normalize.google_phone(once) == normalize.google_phone("+" + once) == "+" + once


@given(st.binary(min_size=1, max_size=64))
def test_hashing_a_hash_changes_nothing(value):
    digest = hashlib.sha256(value).hexdigest()
    assert normalize.hashed(digest) == digest
    assert normalize.hashed(normalize.hashed(digest.upper())) == digest
