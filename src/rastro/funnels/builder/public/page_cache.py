"""The public step pages' rendered bytes, kept per process and served by a lean route.

A page a buyer opens with no `?payment=` and no `?resume=` is the same for every visit
but for its form token (the capture's and the charge's idempotency key, and the pixels'
event ids `pv-…` / `lead-…`, all derived from it). So the page is rendered once with a
marker in the token's place, kept as the byte strings around the marker, and each visit
is those strings joined with a fresh random token: no database round trip, no template.

* **Where**: `PageRoute` sits first in the router (a module's hot route). It matches a
  GET only when this process holds a fresh page for the request's scheme, host and path;
  anything else (a miss, a stale page, `?payment=`, `?resume=`, a POST) falls through to
  the ordinary routes in `routes.py`, which read everything, render, and store the page
  here (`store`).
* **How fresh**: a page is served for `FRESH_SECONDS` after it was last read from the
  database; then the next request goes the ordinary way, which checks the rows'
  fingerprint (`pages.get_public_step`) and the domain and, when nothing changed, keeps
  the same bytes (`store` with an equal step), so each process reads each page's rows at
  most once a second. An edit made in this process (a funnel, step, checkout config,
  pixel, tracked domain or organization written through the ORM) drops every page at its
  commit (`_generation`), so the next request sees it at once; an edit made by another
  process is seen within `FRESH_SECONDS`.
* **Per visit**: the token (spliced into the plain bytes, or into the gzip stream of
  the parts deflated once, `gzip_body`, for a client that takes gzip), and nothing else:
  a returning visitor's page (the tracker's session cookie) is the same bytes, and the
  tracker's page view of it puts the session on this step (seed 002
  `visitors.funnel_id` / `current_step_id`: `funnels.monitor.service.live`).
"""

from __future__ import annotations

import time
import uuid
import zlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from rastro.core.compression import MINIMUM_SIZE, accepted_encodings
from rastro.funnels.builder.service.pages import PublicStep

FRESH_SECONDS = 1.0
MAX_PAGES = 4096
# What a page is made of: a change to one of these tables may change a page.
WATCHED_TABLES = frozenset(
    {
        "funnels",
        "funnel_steps",
        "checkout_configs",
        "tracking_pixels",
        "domains",
        "organizations",
    }
)
_CHANGED = "rastro_funnel_pages_changed"

Key = tuple[str, bytes, str]  # scheme, Host header, path


@dataclass
class CachedPage:
    generation: int
    checked_at: float  # time.monotonic() of the last read of its rows
    step: PublicStep
    status: int
    headers: list[tuple[bytes, bytes]]  # without content-length
    parts: tuple[bytes, ...]  # the body, split at the token
    # The same parts deflated once each (raw deflate, each ending on a byte boundary, the
    # last one final): a visit's gzip body is these with the token between them as stored
    # blocks, in a gzip header and trailer (`gzip_body`) — no compression per visit.
    deflated: tuple[bytes, ...] | None


_pages: dict[Key, CachedPage] = {}
_generation = 0


def generation() -> int:
    """The current generation: a page stored with an older one is not served."""
    return _generation


def drop_all() -> None:
    """Forget every page (an edit was committed in this process)."""
    global _generation
    _generation += 1
    _pages.clear()


def key_of(scope: Scope) -> Key:
    host = b""
    for name, value in scope.get("headers") or ():
        if name == b"host":
            host = value
            break
    return (scope.get("scheme", "http"), host, scope["path"])


def cacheable(scope: Scope) -> bool:
    """A GET whose page is the same for every visitor (no payment, no resume link)."""
    query: bytes = scope.get("query_string", b"")
    return scope["method"] == "GET" and b"payment=" not in query and b"resume=" not in query


def new_token() -> str:
    return uuid.uuid4().hex


def store(
    key: Key,
    *,
    read_generation: int,
    step: PublicStep,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    marker: str,
) -> None:
    """Keep a page rendered with `marker` as its token, read from the database when the
    generation was `read_generation` (nothing is kept if an edit was committed since)."""
    if read_generation != _generation:
        return
    if len(_pages) >= MAX_PAGES:
        _pages.clear()
    kept = [(name, value) for name, value in headers if name != b"content-length"]
    parts = tuple(body.split(marker.encode()))
    _pages[key] = CachedPage(
        read_generation,
        time.monotonic(),
        step,
        status,
        kept,
        parts,
        _deflate(parts) if len(body) >= MINIMUM_SIZE else None,
    )


def refresh(key: Key, step: PublicStep, read_generation: int) -> CachedPage | None:
    """The kept page of `key` if it was made from the same step data: it is fresh again."""
    page = _pages.get(key)
    if page is None or page.step != step or read_generation != _generation:
        return None
    page.checked_at = time.monotonic()
    page.generation = read_generation
    return page


def body_of(page: CachedPage, token: str) -> bytes:
    return token.encode().join(page.parts)


_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, no mtime


def _deflate(parts: tuple[bytes, ...]) -> tuple[bytes, ...]:
    deflated = []
    for index, part in enumerate(parts):
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        last = index == len(parts) - 1
        deflated.append(
            compressor.compress(part)
            + compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)
        )
    return tuple(deflated)


def gzip_body(page: CachedPage, token: str, plain: bytes) -> bytes:
    """The gzip stream of `plain` (the page with `token`) from the parts deflated once:
    the token goes in as a stored block (a non-final block's header, its length and the
    length's complement, the bytes), which starts on the byte boundary each part's
    sync flush ends on."""
    assert page.deflated is not None
    raw = token.encode()
    stored = b"\x00" + len(raw).to_bytes(2, "little") + (len(raw) ^ 0xFFFF).to_bytes(2, "little")
    return b"".join(
        (
            _GZIP_HEADER,
            (stored + raw).join(page.deflated),
            zlib.crc32(plain).to_bytes(4, "little"),
            (len(plain) & 0xFFFFFFFF).to_bytes(4, "little"),
        )
    )


def _fresh(key: Key) -> CachedPage | None:
    page = _pages.get(key)
    if (
        page is None
        or page.generation != _generation
        or time.monotonic() - page.checked_at >= FRESH_SECONDS
    ):
        return None
    return page


def _takes_gzip(scope: Scope) -> bool:
    for name, value in scope.get("headers") or ():
        if name == b"accept-encoding":
            return "gzip" in accepted_encodings(value.decode("latin-1"))
    return False


class PageRoute(BaseRoute):
    """Serves a kept page (see the module's docstring); matches nothing else."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if (
            scope["type"] != "http"
            or not scope["path"].startswith("/f/")
            or not _pages
            or not cacheable(scope)
        ):
            return Match.NONE, {}
        page = _fresh(key_of(scope))
        if page is None or not scope["app"].state.settings.funnel_page_cache:
            return Match.NONE, {}
        return Match.FULL, {"rastro_page": page}

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        page: CachedPage = scope["rastro_page"]
        token = new_token()
        body = body_of(page, token)
        headers = page.headers
        if page.deflated is not None and _takes_gzip(scope):
            body = gzip_body(page, token, body)
            headers = [*headers, (b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding")]
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": page.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


# --- what drops the pages: an edit of a watched table, committed in this process ----------


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _: UOWTransaction) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        if getattr(instance, "__tablename__", None) in WATCHED_TABLES:
            session.info[_CHANGED] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in WATCHED_TABLES:
            state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        drop_all()
