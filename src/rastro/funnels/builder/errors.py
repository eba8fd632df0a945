"""Errors of the funnels API (each with its status and stable code)."""

from __future__ import annotations

from typing import Any

from rastro.core.errors import Conflict, UnprocessableEntity


class SlugTaken(Conflict):
    code = "slug_taken"
    default_message = "The slug is already in use."

    def __init__(self, slug: str, *, where: str) -> None:
        super().__init__(
            f"The slug {slug!r} is already used by another {where}.",
            details=[{"loc": "body.slug", "message": "already in use", "type": "unique"}],
        )


class InvalidStepConfig(UnprocessableEntity):
    """The settings or content do not fit the step's type."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(details=errors)


class ReorderMismatch(UnprocessableEntity):
    code = "reorder_mismatch"
    default_message = "The list must name every step of the funnel, each once, and no other."
