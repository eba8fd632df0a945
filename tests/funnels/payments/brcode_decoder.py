"""A second, independent BR Code reader for the tests: it parses the EMV TLV payload
back into fields (recursively for the templates 26 and 62) and checks the CRC with the
standard library's `binascii.crc_hqx` (CRC-CCITT, polynomial 0x1021) instead of the
module's own loop."""

from __future__ import annotations

import binascii
from dataclasses import dataclass

TEMPLATES = {"26", "62"}


@dataclass
class Decoded:
    fields: dict[str, str]
    account: dict[str, str]
    additional: dict[str, str]
    crc_ok: bool


def parse_tlv(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    index = 0
    while index < len(text):
        if index + 4 > len(text):
            raise ValueError(f"truncated field header at {index}")
        field_id = text[index : index + 2]
        length = int(text[index + 2 : index + 4])
        value = text[index + 4 : index + 4 + length]
        if len(value) != length:
            raise ValueError(f"field {field_id} shorter than its length {length}")
        out.append((field_id, value))
        index += 4 + length
    return out


def decode(payload: str) -> Decoded:
    pairs = parse_tlv(payload)
    ids = [field_id for field_id, _ in pairs]
    if ids[0] != "00" or ids[-1] != "63":
        raise ValueError("a BR Code starts with 00 and ends with 63")
    if len(set(ids)) != len(ids):
        raise ValueError("a field appears twice")
    fields = dict(pairs)
    crc = binascii.crc_hqx(payload[:-4].encode("ascii"), 0xFFFF)
    return Decoded(
        fields=fields,
        account=dict(parse_tlv(fields["26"])) if "26" in fields else {},
        additional=dict(parse_tlv(fields["62"])) if "62" in fields else {},
        crc_ok=f"{crc:04X}" == fields["63"],
    )
