"""The static PIX BR Code: the Banco Central manual's example reproduced field by field and
by CRC, every code decoded back by an independent reader, and the inputs a BR Code
cannot carry refused with the field named."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rastro.funnels.payments import brcode
from rastro.funnels.payments.brcode import BrCodeError, StaticPix, build_static_brcode
from tests.funnels.payments.brcode_decoder import decode

# "Manual de Padrões para Iniciação do Pix", static BR Code example (random key, no
# amount, no txid).
MANUAL_EXAMPLE = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)
EVP = "123e4567-e12b-12d1-a456-426655440000"


def test_crc16_check_value() -> None:
    assert brcode.crc16_ccitt_false(b"123456789") == 0x29B1


def test_manual_example_reproduced_field_by_field() -> None:
    built = build_static_brcode(
        StaticPix(key=EVP, merchant_name="Fulano de Tal", merchant_city="BRASILIA")
    )
    assert built == MANUAL_EXAMPLE
    decoded = decode(built)
    assert decoded.crc_ok
    assert decoded.fields["00"] == "01"
    assert decoded.account == {"00": "br.gov.bcb.pix", "01": EVP}
    assert decoded.fields["52"] == "0000"
    assert decoded.fields["53"] == "986"
    assert "54" not in decoded.fields
    assert decoded.fields["58"] == "BR"
    assert decoded.fields["59"] == "Fulano de Tal"
    assert decoded.fields["60"] == "BRASILIA"
    assert decoded.additional == {"05": "***"}
    assert decoded.fields["63"] == "1D3D"
    assert list(decoded.fields) == ["00", "26", "52", "53", "58", "59", "60", "62", "63"]


def test_manual_example_crc_checked_by_the_other_reader() -> None:
    assert decode(MANUAL_EXAMPLE).crc_ok
    tampered = MANUAL_EXAMPLE.replace("Fulano", "Fulana")
    assert not decode(tampered).crc_ok


def test_amount_and_txid() -> None:
    built = build_static_brcode(
        StaticPix(
            key=EVP,
            merchant_name="Fulano de Tal",
            merchant_city="BRASILIA",
            amount=Decimal("10"),
            txid="PEDIDO123",
        )
    )
    # Lengths computed, not copied: 54 05 "10.00", 62 13 (05 09 PEDIDO123).
    assert "540510.00" in built
    assert "62130509PEDIDO123" in built
    assert built.endswith("6304902A")
    decoded = decode(built)
    assert decoded.crc_ok
    assert decoded.fields["54"] == "10.00"
    assert decoded.additional == {"05": "PEDIDO123"}


def test_description_goes_in_the_merchant_account() -> None:
    built = build_static_brcode(
        StaticPix(
            key="fulano@example.com",
            merchant_name="LOJA",
            merchant_city="SAO PAULO",
            description="Curso de Python",
        )
    )
    decoded = decode(built)
    assert decoded.account == {
        "00": "br.gov.bcb.pix",
        "01": "fulano@example.com",
        "02": "Curso de Python",
    }


@pytest.mark.parametrize(
    ("key", "stored"),
    [
        ("529.982.247-25".replace(".", "").replace("-", ""), "52998224725"),
        ("11222333000181", "11222333000181"),
        ("Fulano@Example.com", "fulano@example.com"),
        ("+5561912345678", "+5561912345678"),
        ("123E4567-E12B-12D1-A456-426655440000", EVP),
    ],
)
def test_valid_keys(key: str, stored: str) -> None:
    assert brcode.pix_key(key) == stored


@pytest.mark.parametrize(
    "key",
    [
        "52998224726",  # CPF check digit wrong
        "11111111111",
        "11222333000180",  # CNPJ check digit wrong
        "123",
        "+1555123456",
        "+55619",
        "not-a-key",
        "fulano@",
        "123e4567e12b12d1a456426655440000",  # a UUID without hyphens
        "",
        "a" * 78,
    ],
)
def test_invalid_keys(key: str) -> None:
    with pytest.raises(BrCodeError) as caught:
        brcode.pix_key(key)
    assert caught.value.field == "pix_key"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"txid": "PEDIDO-123"}, "txid"),
        ({"txid": "a" * 26}, "txid"),
        ({"txid": ""}, "txid"),
        ({"txid": "pedido 1"}, "txid"),
        ({"amount": Decimal(0)}, "amount"),
        ({"amount": Decimal("-1.00")}, "amount"),
        ({"amount": Decimal("10.001")}, "amount"),
        ({"amount": Decimal("NaN")}, "amount"),
        ({"amount": Decimal("12345678901234")}, "amount"),
        ({"merchant_name": "José da Silva"}, "merchant_name"),
        ({"merchant_name": "A" * 26}, "merchant_name"),
        ({"merchant_name": "  "}, "merchant_name"),
        ({"merchant_city": "São Paulo"}, "merchant_city"),
        ({"merchant_city": "RIO DE JANEIRO RJ"}, "merchant_city"),
        ({"key": "52998224726"}, "pix_key"),
        ({"description": "x" * 80}, "description"),
        ({"description": "Ação"}, "description"),
    ],
)
def test_bad_input_names_the_field(changes: dict[str, object], field: str) -> None:
    base: dict[str, object] = {
        "key": EVP,
        "merchant_name": "FULANO",
        "merchant_city": "BRASILIA",
        "amount": Decimal("1.00"),
    }
    with pytest.raises(ValueError) as caught:
        build_static_brcode(StaticPix(**{**base, **changes}))  # type: ignore[arg-type]
    assert isinstance(caught.value, BrCodeError)
    assert caught.value.field == field


def test_trailing_zero_decimals_are_two_decimals() -> None:
    assert brcode.amount_text(Decimal("10.000")) == "10.00"
    assert brcode.amount_text(Decimal("0.01")) == "0.01"


def test_merchant_text_normalises_like_the_manual() -> None:
    assert brcode.merchant_text("José  da Conceição", 25) == "JOSE DA CONCEICAO"
    assert brcode.merchant_text("São Paulo", 15) == "SAO PAULO"
    assert brcode.merchant_text("Ribeirão das Neves do Sul", 15) == "RIBEIRAO DAS NE"
    assert len(brcode.merchant_text("Á" * 40, 25)) == 25


def test_qr_image_is_an_svg_and_a_png() -> None:
    svg = brcode.qr_svg(MANUAL_EXAMPLE)
    assert svg.startswith("<svg")
    assert "</svg>" in svg
    assert brcode.qr_png_data_uri(MANUAL_EXAMPLE).startswith("data:image/png;base64,")


_names = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=25
).filter(lambda s: s.strip() == s and s != "")
_cities = _names.map(lambda s: s[:15].strip()).filter(bool)


@given(
    name=_names,
    city=_cities,
    cents=st.integers(min_value=1, max_value=10**11),
    txid=st.from_regex(re.compile(r"\A[A-Za-z0-9]{1,25}\Z")),
)
def test_every_code_decodes_back(name: str, city: str, cents: int, txid: str) -> None:
    amount = Decimal(cents) / 100
    built = build_static_brcode(
        StaticPix(key=EVP, merchant_name=name, merchant_city=city, amount=amount, txid=txid)
    )
    decoded = decode(built)
    assert decoded.crc_ok
    assert decoded.fields["59"] == name
    assert decoded.fields["60"] == city
    assert Decimal(decoded.fields["54"]) == amount
    assert decoded.additional == {"05": txid}
    assert decoded.account["01"] == EVP
