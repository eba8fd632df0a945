"""The floor of a gateway webhook on this stack (issue 19): what `rastro serve` runs, plus
one bench-only route that does only what a webhook cannot do without — the payment moved
to paid and its `payment_status_change` notified, in one statement — and no more: no
authentication against the credential, no stored notification, no listeners, no sale.

    uvicorn bench.funnels.webhook_floor:floor_app --factory   (through `webhook_broadcast --floor`)

`POST /bench-floor/webhook/asaas` takes the body Asaas sends (the charge's id in
`payment.id`), compares its `asaas-access-token` with the benchmark's token, and runs one
statement on a plain autocommit connection (a pool of its own, in SYSTEM scope by the
connection's settings): the pending payment of that charge updated to paid — its sale
marked recorded, so the sale job finds nothing to do — and `pg_notify` of the live
channel with the same Socket.IO message `publish_on_commit` writes for the funnel's
watchers. The broadcast is the real one: every server process hears the notification and
emits the event to the clients that joined the funnel.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

import orjson
from psycopg_pool import AsyncConnectionPool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rastro.core.db import libpq_url
from rastro.core.live import CHANNEL, COMMIT_HOST

FLOOR_PATH = "/bench-floor/webhook/asaas"
ASAAS_TOKEN = "asaas-bench-webhook-token-000000000000001"

# One statement: the move and the live event (the message `live.emit_message` builds,
# with `live.payment_data`'s fields), delivered by PostgreSQL when it commits.
FLOOR_SQL = """
WITH moved AS (
  UPDATE payments SET status = 'paid', sale_status = 'paid', status_changed_at = now(),
    paid_at = now(), updated_at = now()
  WHERE gateway = 'asaas' AND external_id = %(external_id)s AND status = 'pending'
  RETURNING id, organization_id, funnel_id, step_id, session_id, amount, currency,
    status_changed_at)
SELECT pg_notify(CAST(%(channel)s AS text), jsonb_build_array(jsonb_build_object(
  'method', 'emit', 'event', 'payment_status_change',
  'data', jsonb_build_array(jsonb_build_object(
    'payment_id', id, 'funnel_id', funnel_id, 'step_id', step_id, 'session_id', session_id,
    'previous_status', 'pending', 'status', 'paid', 'amount', amount::text,
    'currency', currency, 'changed_at', status_changed_at)),
  'binary', false, 'namespace', '/',
  'room', 'org:' || organization_id || ':funnel:' || funnel_id,
  'skip_sid', NULL, 'callback', NULL, 'host_id', CAST(%(host)s AS text)))::text)
FROM moved
"""


class Floor:
    """The floor route's endpoint (`receive`), with its own connection pool."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._pool: AsyncConnectionPool[Any] | None = None
        self._opening = asyncio.Lock()

    async def pool(self) -> AsyncConnectionPool[Any]:
        async with self._opening:
            if self._pool is None:
                pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
                    self._conninfo,
                    min_size=1,
                    max_size=4,  # as the application's plain pools (DB_PLAIN_POOL_SIZE)
                    kwargs={"autocommit": True, "options": "-c rastro.scope=system"},
                    open=False,
                )
                await pool.open()
                self._pool = pool
        return self._pool

    async def receive(self, request: Request) -> Response:
        token = request.headers.get("asaas-access-token", "")
        if not hmac.compare_digest(token.encode(), ASAAS_TOKEN.encode()):
            return Response(status_code=401)
        body = orjson.loads(await request.body())
        external_id = str(body["payment"]["id"])
        async with (await self.pool()).connection() as connection:
            cursor = await connection.execute(
                FLOOR_SQL, {"external_id": external_id, "channel": CHANNEL, "host": COMMIT_HOST}
            )
            moved = await cursor.fetchone()
        return Response(orjson.dumps({"applied": moved is not None}), media_type="application/json")


def floor_app() -> Any:
    """`rastro serve`'s application (`rastro.app.asgi_from_env`) with the floor route."""
    from rastro.app import asgi_from_env

    asgi = asgi_from_env()
    app = asgi.other_asgi_app  # the FastAPI app inside Socket.IO's
    floor = Floor(libpq_url(app.state.settings.crm_database_url))
    app.router.routes.insert(0, Route(FLOOR_PATH, floor.receive, methods=["POST"]))
    return asgi
