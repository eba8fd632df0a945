"""Journeys for the attribution tests: built by hand, or drawn by hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from rastro.analytics.attribution import Journey, Touch

CONVERTED_AT = datetime(2026, 6, 1, 12, tzinfo=UTC)
CHANNELS = ("Direct", "Email", "Paid Search", "Organic Search", "Referral", "Paid Social")


def touch(channel: str, days_before: float = 0.0, campaign: str | None = None) -> Touch:
    """A touch `days_before` the conversion time used by `journey`."""
    return Touch(
        at=CONVERTED_AT - timedelta(days=days_before),
        channel=channel,
        source=channel.lower(),
        medium=None,
        campaign=campaign,
        content=None,
    )


def journey(*touches: Touch, revenue: float = 0.0, converted: bool = True) -> Journey:
    """A journey of `touches` (chronological) converting at CONVERTED_AT, or not at all."""
    if converted:
        return Journey(touches, CONVERTED_AT, 1.0, revenue)
    return Journey(touches, None)


@st.composite
def journeys(
    draw: st.DrawFn, *, channels: tuple[str, ...] = CHANNELS, max_touches: int = 6
) -> Journey:
    """A converting or non-converting journey of 0..max_touches touches (repeats allowed)."""
    count = draw(st.integers(0, max_touches))
    names = draw(st.lists(st.sampled_from(channels), min_size=count, max_size=count))
    ages = sorted(draw(st.lists(st.floats(0, 90), min_size=count, max_size=count)), reverse=True)
    touches = tuple(
        touch(name, age, campaign=draw(st.sampled_from((None, "spring", "brand"))))
        for name, age in zip(names, ages, strict=True)
    )
    if draw(st.booleans()):
        return journey(*touches, revenue=draw(st.floats(0, 10_000)))
    return journey(*touches, converted=False)
