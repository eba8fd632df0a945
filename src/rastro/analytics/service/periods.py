"""Report periods in the organization's days: presets, validation, comparisons."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rastro.analytics.errors import InvalidDateRange
from rastro.analytics.schemas import MAX_RANGE_DAYS, Period, Preset, ReportFilters


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def period(date_from: date, date_to: date, zone: ZoneInfo) -> Period:
    """The period from `date_from` to `date_to` inclusive, as UTC instants."""
    return Period(
        date_from=date_from,
        date_to=date_to,
        start=_midnight(date_from, zone).astimezone(ZoneInfo("UTC")),
        end=_midnight(date_to + timedelta(days=1), zone).astimezone(ZoneInfo("UTC")),
    )


def _preset(preset: Preset, today: date) -> tuple[date, date]:
    first_of_month = today.replace(day=1)
    match preset:
        case "today":
            return today, today
        case "yesterday":
            return today - timedelta(days=1), today - timedelta(days=1)
        case "last_7_days":
            return today - timedelta(days=6), today
        case "last_30_days":
            return today - timedelta(days=29), today
        case "last_90_days":
            return today - timedelta(days=89), today
        case "this_month":
            return first_of_month, today
        case "last_month":
            last = first_of_month - timedelta(days=1)
            return last.replace(day=1), last
        case "last_12_months":
            return _shift_year(today, -1) + timedelta(days=1), today


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def resolve(
    filters: ReportFilters, timezone: str, *, now: datetime
) -> tuple[Period, Period | None]:
    """The filters' period and the compared one, in the organization's days; 422
    `invalid_date_range` when reversed, in the future or longer than two years."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    if filters.preset is not None:
        date_from, date_to = _preset(filters.preset, today)
    else:
        date_to = filters.date_to or today
        date_from = filters.date_from or (date_to - timedelta(days=29))
    if date_from > date_to:
        raise InvalidDateRange("date_from is after date_to.")
    if date_to > today:
        raise InvalidDateRange("The range ends in the future.")
    if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        raise InvalidDateRange("The range is longer than two years.")
    current = period(date_from, date_to, zone)
    if filters.compare == "previous":
        days = (date_to - date_from).days + 1
        previous = period(date_from - timedelta(days=days), date_from - timedelta(days=1), zone)
    elif filters.compare == "year":
        previous = period(_shift_year(date_from, -1), _shift_year(date_to, -1), zone)
    else:
        previous = None
    return current, previous
