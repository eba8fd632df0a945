"""The tracker script served at `/t.js` (built from `tracker/` by `make tracker`)."""

from __future__ import annotations

import hashlib
from functools import cache

from rastro.config import REPO_ROOT
from rastro.core.compression import EncodedVariants, encoded_variants
from rastro.core.errors import ServiceUnavailable

TRACKER_FILE = REPO_ROOT / "tracker" / "dist" / "t.js"
COOKIE_DAYS = 90  # the tracker's cookie lifetime when the tag has no `data-cookie-days`


@cache
def tracker_script() -> EncodedVariants:
    """The script, plain and compressed (brotli, gzip), read and compressed once per process."""
    try:
        body = TRACKER_FILE.read_bytes()
    except FileNotFoundError:
        raise ServiceUnavailable("The tracker is not built: run `make tracker`.") from None
    return encoded_variants(body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"')
