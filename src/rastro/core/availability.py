"""Telling a database that is away (down, restarting, recovering) from a failed statement.

The API answers the first with 503 and `Retry-After` (`core/errors.py`), the collector's
group writer too, and the job worker waits for the database instead of stopping
(`core/worker.py`). Any other database error is a bug or bad data and stays what it was.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import psycopg
from sqlalchemy import exc as sa_exc

# How long a client is told to wait before trying again (the `Retry-After` header).
RETRY_AFTER_SECONDS = 5

# SQLSTATEs that mean "no database to talk to right now": the connection-exception class
# (08…) and the server shutting down, crashed or still starting up (57P01 to 57P03), or out
# of connection slots (53300). Client-side failures (connection refused, socket missing,
# server closed the connection, pool timeout) come without a SQLSTATE.
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def is_database_unavailable(error: BaseException | None) -> bool:
    """Whether `error` (or what it wraps: SQLAlchemy's `orig`, procrastinate's cause) says
    the database cannot be reached now, as opposed to refusing a statement."""
    for _ in range(8):  # a few wrappers deep at most
        if error is None:
            return False
        if isinstance(error, sa_exc.DBAPIError):
            if error.connection_invalidated:
                return True
            error = error.orig
            continue
        if isinstance(error, sa_exc.TimeoutError):  # no pooled connection freed in time
            return True
        if isinstance(error, psycopg.OperationalError):
            state = error.sqlstate
            return state is None or state.startswith("08") or state in _UNAVAILABLE_STATES
        if isinstance(error, ConnectionError):
            return True
        error = error.__cause__
    return False


def backoff_delays(
    *, first: float = 0.5, longest: float = 10.0, jitter: float = 0.2
) -> Iterator[float]:
    """Waits between reconnection attempts: doubling from `first` up to `longest`, each
    shortened by up to `jitter` (a fraction) so that processes do not retry in step."""
    delay = first
    while True:
        yield delay * (1 - random.random() * jitter)  # noqa: S311 (not cryptographic)
        delay = min(delay * 2, longest)
