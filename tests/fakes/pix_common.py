"""What the fake payment gateways share: a dynamic BR Code as a PSP would print it (the
charge's location in field 26-25, CRC16 by the standard library), the customer checks
the gateways make, and delivering a webhook to the app under test."""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field

import httpx

DIGITS = re.compile(r"^\d+$")


def _tlv(field_id: str, value: str) -> str:
    return f"{field_id}{len(value):02d}{value}"


def dynamic_brcode(location: str, amount: str) -> str:
    account = _tlv("00", "br.gov.bcb.pix") + _tlv("25", location)
    payload = (
        _tlv("00", "01")
        + _tlv("01", "12")
        + _tlv("26", account)
        + _tlv("52", "0000")
        + _tlv("53", "986")
        + _tlv("54", amount)
        + _tlv("58", "BR")
        + _tlv("59", "LOJA EXEMPLO")
        + _tlv("60", "SAO PAULO")
        + _tlv("62", _tlv("05", "***"))
        + "6304"
    )
    return payload + f"{binascii.crc_hqx(payload.encode('ascii'), 0xFFFF):04X}"


def document_ok(value: object) -> bool:
    return isinstance(value, str) and bool(DIGITS.match(value)) and len(value) in (11, 14)


@dataclass
class Delivery:
    """A webhook as the gateway sends it: path (with its query), headers and raw body."""

    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str] = field(default_factory=dict)

    async def send(self, client: httpx.AsyncClient) -> httpx.Response:
        return await client.post(
            self.path,
            params=self.query,
            content=self.body,
            headers={"content-type": "application/json", **self.headers},
        )
