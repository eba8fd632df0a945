"""A visitor's consent, as the tracker and the forms send it (`rastro('consent', {...})`).

Three purposes, named as Google's consent mode names them: `analytics` (storing the visit
at all), `ad_user_data` (sending the person's data to ad platforms) and
`ad_personalization` (using it for remarketing). A plain `true` grants all three, `false`
none (the tracker's first consent API). A form's hidden `rastro_consent` field carries the
granted purposes separated by commas (`analytics,ad_user_data`), `none` when none is.
"""

from __future__ import annotations

from typing import Any

PURPOSES = ("analytics", "ad_user_data", "ad_personalization")
CONSENT_MODES = ("off", "required")


def parse_consent(value: Any) -> dict[str, bool] | None:
    """The consent state in `value` (None when it does not say): every purpose a boolean.
    A purpose an object leaves out is not granted."""
    if isinstance(value, bool):
        return dict.fromkeys(PURPOSES, value)
    if isinstance(value, dict):
        return {purpose: value.get(purpose) is True for purpose in PURPOSES}
    if isinstance(value, str):
        granted = {part.strip() for part in value.split(",") if part.strip()}
        if not granted or not granted <= {*PURPOSES, "none"}:
            return None
        return {purpose: purpose in granted for purpose in PURPOSES}
    return None


def ad_consent_denied(consent: dict[str, Any] | None) -> bool:
    """Whether a stored consent state refuses the person's data to the ad platforms (no
    state at all: the site does not ask for consent, nothing is refused)."""
    return consent is not None and consent.get("ad_user_data") is not True
