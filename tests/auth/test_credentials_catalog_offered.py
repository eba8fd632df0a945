"""The credentials catalogue offers only services some part of Rastro uses."""

from __future__ import annotations

import pathlib

from rastro.auth.catalog import SERVICES

SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "rastro"


def test_every_offered_service_is_used_somewhere_else_in_the_code() -> None:
    code = "\n".join(
        p.read_text(encoding="utf-8") for p in SRC.rglob("*.py") if p.name != "catalog.py"
    )
    unused = [name for name in SERVICES if f'"{name}"' not in code]
    assert unused == []
