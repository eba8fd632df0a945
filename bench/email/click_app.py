"""The server of `bench.email.click --timings`: Rastro's app as `rastro serve` builds it
(without Socket.IO, which the click redirect does not use), whose click writer keeps its
timings (`ClickTimings`) and writes them, at shutdown, to
`$BENCH_CLICK_TIMINGS/<pid>.json` (one file per worker process).

    uvicorn bench.email.click_app:timed_app --factory
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from rastro.app import create_app
from rastro.config import load_settings
from rastro.core.db import libpq_url
from rastro.core.logging import configure_logging
from rastro.email.service.click_writer import ClickTimings, ClickWriter
from rastro.runtime import resolve_database_urls


def timed_app() -> Any:
    settings = resolve_database_urls(load_settings())
    configure_logging(settings.log_level, settings.effective_log_format)
    app = create_app(settings, freeze_gc=True)
    timings = ClickTimings()
    assert settings.crm_database_url is not None
    assert settings.bi_database_url is not None
    writer = ClickWriter(
        libpq_url(settings.crm_database_url),
        libpq_url(settings.bi_database_url),
        writers=int(os.environ.get("BENCH_CLICK_WRITERS", "2")),
        drain_seconds=settings.email_click_drain_seconds,
        timings=timings,
    )
    app.state.email_click_writer = writer
    out = Path(os.environ["BENCH_CLICK_TIMINGS"]) / f"{os.getpid()}.json"

    async def dump() -> None:
        await writer.close()
        out.write_text(json.dumps(timings.raw()))

    app.state.closers.append(dump)
    return app
