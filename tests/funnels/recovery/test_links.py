"""The resume token (round trip, any altered byte refused, expiry, another key), the
WhatsApp message and link in both languages, and amounts as each language writes them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rastro.funnels.recovery.errors import InvalidResumeLink, ResumeLinkExpired
from rastro.funnels.recovery.service import links

SECRET = "a-server-secret-of-enough-length-0123456789"
CASE = uuid.UUID("01a24d1d-ca95-7b16-bbfb-6251f739088d")
ORG = uuid.UUID("01a24d1d-bf28-76e8-83b2-320fb7aff94a")
EXPIRES = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)


def _token() -> str:
    return links.resume_token(SECRET, case_id=CASE, organization_id=ORG, expires_at=EXPIRES)


def test_round_trip_and_expiry():
    claim = links.read_resume_token(SECRET, _token(), now=EXPIRES - timedelta(seconds=1))
    assert (claim.case_id, claim.organization_id, claim.expires_at) == (CASE, ORG, EXPIRES)
    assert _token() == _token()  # the same link on every action
    with pytest.raises(ResumeLinkExpired):
        links.read_resume_token(SECRET, _token(), now=EXPIRES)
    with pytest.raises(InvalidResumeLink):
        links.read_resume_token("another-secret", _token(), now=EXPIRES - timedelta(hours=1))


@given(position=st.integers(min_value=0, max_value=200), replacement=st.sampled_from("AbZz09-_"))
def test_any_altered_character_is_refused(position, replacement):
    token = _token()
    position %= len(token)
    if token[position] in (replacement, "."):
        return
    altered = token[:position] + replacement + token[position + 1 :]
    try:
        claim = links.read_resume_token(SECRET, altered, now=EXPIRES - timedelta(hours=1))
    except InvalidResumeLink:
        return
    # Base64's last character may carry unused bits: the same bytes, the same claim.
    assert (claim.case_id, claim.organization_id, claim.expires_at) == (CASE, ORG, EXPIRES)


@pytest.mark.parametrize("token", ["", ".", "abc", "a.b.c", "%%%.###", "x" * 300])
def test_garbage_is_invalid(token):
    with pytest.raises(InvalidResumeLink):
        links.read_resume_token(SECRET, token)


def test_whatsapp_message_and_link():
    text = links.whatsapp_message(
        kind="pix_unpaid",
        language="en",
        template=None,
        name="  Maria  Souza ",
        product="Python Course",
        amount=Decimal("1234.5"),
        currency="BRL",
        link="https://pay.example.com/f/_resume/t",
    )
    assert text == (
        "Hi Maria! Your PIX of R$1,234.50 for Python Course hasn't been paid yet. "
        "You can finish your purchase here: https://pay.example.com/f/_resume/t"
    )
    url = urlsplit(links.whatsapp_url("+55 (11) 98765-4321", text))
    assert (url.netloc, url.path) == ("wa.me", "/5511987654321")
    assert parse_qs(url.query)["text"] == [text]
    assert links.whatsapp_url(None, text) is None
    assert links.whatsapp_url("12345", text) is None
    custom = links.whatsapp_message(
        kind="checkout_abandoned",
        language="pt-BR",
        template="Oi {first_name}, o {product} por {amount}: {link}",
        name=None,
        product=None,
        amount=Decimal("97"),
        currency="BRL",
        link="L",
    )
    assert custom == "Oi tudo bem, o seu pedido por R$ 97,00: L"
    assert links.format_amount(Decimal("1234567.8"), "BRL", "pt-BR") == "R$ 1.234.567,80"
