"""What a group writer (the collector's, the e-mail click redirect's) does when a whole
group's statement failed: log it once and tell every request waiting on the group."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from rastro.core.availability import is_database_unavailable
from rastro.core.errors import DatabaseUnavailable


def fail_group(
    futures: Iterable[asyncio.Future[Any]],
    error: Exception,
    *,
    log: Any,
    event: str,
    **fields: Any,
) -> bool:
    """Log `error` as `<event>_database_unavailable` (a warning: the requests get a 503 and
    their clients send again) or `<event>_group_failed` (with its traceback), set it on
    every future not yet done, and return whether the database was unavailable (the
    caller then drops its connection)."""
    unavailable = is_database_unavailable(error)
    if unavailable:
        log.warning(f"{event}_database_unavailable", error=type(error).__name__, **fields)
    else:
        log.exception(f"{event}_group_failed", **fields)
    for future in futures:
        if not future.done():
            future.set_exception(DatabaseUnavailable() if unavailable else error)
    return unavailable
