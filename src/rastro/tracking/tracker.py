"""The tracker script served at `/t.js` (built from `tracker/` by `make tracker`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

from rastro.config import REPO_ROOT
from rastro.core.errors import ServiceUnavailable

TRACKER_FILE = REPO_ROOT / "tracker" / "dist" / "t.js"
COOKIE_DAYS = 90  # the tracker's cookie lifetime when the tag has no `data-cookie-days`


@dataclass(frozen=True)
class Script:
    body: bytes
    etag: str


@cache
def tracker_script() -> Script:
    try:
        body = TRACKER_FILE.read_bytes()
    except FileNotFoundError:
        raise ServiceUnavailable("The tracker is not built: run `make tracker`.") from None
    return Script(body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"')
