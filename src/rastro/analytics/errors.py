"""Errors of the analytics module."""

from rastro.core.errors import UnprocessableEntity


class InvalidDateRange(UnprocessableEntity):
    code = "invalid_date_range"
    default_message = "The date range is reversed, in the future or longer than two years."
