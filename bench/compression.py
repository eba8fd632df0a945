"""What the compression middleware costs a request, measured in-process (no server, no
database): the same ASGI answer sent directly, through `CompressionMiddleware` on a hot
path it leaves alone, and on an ordinary path with `Accept-Encoding: gzip`.

    .venv/bin/python -m bench.compression [--requests 200000]

The collector's HTTP figures (`make bench`) move by more than this between two runs on a
busy machine; this isolates the middleware's share.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import orjson
from starlette.types import Message, Receive, Scope, Send

from rastro.core.compression import CompressionMiddleware

SINGLE = orjson.dumps(  # the collector's answer to one event
    {
        "session_id": "s_" + "a" * 22,
        "accepted": 1,
        "duplicates": 0,
        "rejected": 0,
        "results": [{"event_id": "0b0d7a4e-5b7e-4c55-9c39-3d2f0f7f2a11", "status": "accepted"}],
    }
)
LIST = orjson.dumps([{"id": i, "name": f"Lead {i}", "stage": "new"} for i in range(60)])


def answer(body: bytes):  # type: ignore[no-untyped-def]
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


async def per_request_us(app, method: str, path: str, requests: int) -> float:  # type: ignore[no-untyped-def]
    scope: Scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(b"accept-encoding", b"gzip, deflate, br, zstd")],
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        pass

    started = time.perf_counter()
    for _ in range(requests):
        await app(dict(scope), receive, send)
    return (time.perf_counter() - started) / requests * 1e6


async def main(requests: int) -> None:
    hot = frozenset({("POST", "/api/collect")})
    rows = []
    for label, body in (("collector answer, 1 event", SINGLE), ("API list, 60 rows", LIST)):
        inner = answer(body)
        wrapped = CompressionMiddleware(inner, uncompressed=hot)
        direct = await per_request_us(inner, "POST", "/api/collect", requests)
        skipped = await per_request_us(wrapped, "POST", "/api/collect", requests)
        compressed = await per_request_us(wrapped, "GET", "/api/other", requests // 10)
        rows.append((label, len(body), direct, skipped, compressed))
    print("answer | bytes | direct | hot path (left alone) | ordinary path (gzip)")
    for label, size, direct, skipped, compressed in rows:
        print(
            f"{label} | {size} | {direct:.2f} µs | {skipped:.2f} µs (+{skipped - direct:.2f}) "
            f"| {compressed:.2f} µs"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200_000)
    asyncio.run(main(parser.parse_args().requests))
