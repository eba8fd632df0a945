"""Compressed responses: content negotiation, bodies compressed once, and gzip for the API.

Static files come pre-compressed (`.br` / `.gz` beside them, written by the dashboard's
build) or are compressed once in memory (`encoded_variants`); the API's JSON is
gzip-compressed per response by `CompressionMiddleware`, except on the hot paths, whose
small answers are not worth the CPU.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass

import brotli
from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipResponder
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

# Preferred first: brotli is smaller than gzip for the same text.
ENCODINGS = ("br", "gzip")
SUFFIXES = {"br": ".br", "gzip": ".gz"}
MINIMUM_SIZE = 1024  # smaller answers fit in a packet or two either way


def accepted_encodings(accept_encoding: str) -> frozenset[str]:
    """The content codings an `Accept-Encoding` header accepts (those with `q=0` refused)."""
    accepted = set()
    for item in accept_encoding.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if coding and weight > 0:
            accepted.add(coding.lower())
    return frozenset(accepted)


def preferred_encoding(accept_encoding: str, available: Iterable[str]) -> str | None:
    """The best coding among `available` that the client accepts; None for the plain body."""
    accepted = accepted_encodings(accept_encoding)
    offered = set(available)
    for encoding in ENCODINGS:
        if encoding in offered and encoding in accepted:
            return encoding
    return None


def compress(body: bytes, encoding: str) -> bytes:
    """`body` compressed at the coding's highest level (for bodies compressed once)."""
    if encoding == "br":
        compressed: bytes = brotli.compress(body, quality=11)
        return compressed
    if encoding == "gzip":
        return gzip.compress(body, compresslevel=9, mtime=0)
    raise ValueError(f"unknown content coding: {encoding}")


@dataclass(frozen=True)
class EncodedBody:
    body: bytes
    etag: str
    encoding: str | None  # None: the plain body


@dataclass(frozen=True)
class EncodedVariants:
    """One body, plain and compressed once, each variant with its own ETag."""

    plain: EncodedBody
    compressed: dict[str, EncodedBody]

    def for_request(self, headers: Headers) -> EncodedBody:
        """The variant to send for a request's `Accept-Encoding`."""
        encoding = preferred_encoding(headers.get("accept-encoding", ""), self.compressed)
        return self.compressed[encoding] if encoding else self.plain


def encoded_variants(body: bytes, etag: str) -> EncodedVariants:
    """`body` plain, brotli and gzip; a variant that is not smaller is left out.

    `etag` is the plain body's strong ETag (quoted); a compressed variant's gets a suffix,
    as two representations of the same resource must not share one."""
    compressed = {}
    for encoding in ENCODINGS:
        encoded = compress(body, encoding)
        if len(encoded) < len(body):
            compressed[encoding] = EncodedBody(encoded, f'{etag[:-1]}-{encoding}"', encoding)
    return EncodedVariants(EncodedBody(body, etag, None), compressed)


def route_keys(routes: Iterable[BaseRoute]) -> frozenset[tuple[str, str]]:
    """(method, path) of each plain route: what `CompressionMiddleware` leaves alone."""
    return frozenset(
        (method, route.path)
        for route in routes
        if isinstance(route, Route)
        for method in route.methods or ()
    )


class CompressionMiddleware:
    """gzip for responses over ~1 KB to clients that accept it, except the `uncompressed`
    (method, path) pairs: the hot paths answer without the compressor's bookkeeping.

    A response that already has a `Content-Encoding` (a pre-compressed file) passes as is.
    """

    def __init__(self, app: ASGIApp, *, uncompressed: frozenset[tuple[str, str]]) -> None:
        self.app = app
        self.uncompressed = uncompressed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) in self.uncompressed:
            await self.app(scope, receive, send)
            return
        # Negotiated here, where `gzip;q=0` is a refusal. A client that takes no gzip gets the
        # answer as it is (a pre-compressed file has already said `Vary` itself).
        if "gzip" in accepted_encodings(Headers(scope=scope).get("accept-encoding", "")):
            await GZipResponder(self.app, MINIMUM_SIZE, compresslevel=6)(scope, receive, send)
        else:
            await self.app(scope, receive, send)
