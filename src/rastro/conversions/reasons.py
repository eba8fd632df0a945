"""Why a delivery is where it is, as a code with parameters that the dashboard translates,
and as an English sentence for API clients and logs (`offline_conversion_syncs.reason`).

A `Reason` is that sentence (a `str`, so code that only reads text keeps working) carrying
its `code` and `params`."""

from __future__ import annotations

from typing import Any


class Reason(str):
    code: str
    params: dict[str, Any]

    def __new__(cls, text: str, code: str, **params: Any) -> Reason:
        reason = super().__new__(cls, text)
        reason.code = code
        reason.params = params
        return reason


def code_of(reason: str | None) -> tuple[str | None, dict[str, Any]]:
    """The code and parameters of a reason; a plain text is a platform's own message."""
    if reason is None:
        return None, {}
    if isinstance(reason, Reason):
        return reason.code, reason.params
    return "platform_message", {"message": str(reason)}
