"""The error envelope, request ids, and no stack traces for clients."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, Request, Response

from rastro.app import create_app
from rastro.core.errors import NotFound
from rastro.core.routing import PlainRoute


async def test_validation_errors_name_the_field(client):
    response = await client.post("/api/auth/login", json={"email": "a@b.c"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["details"][0]["loc"] == "body.password"


async def test_malformed_json_is_400(client):
    response = await client.post(
        "/api/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


async def test_unknown_routes_and_methods_use_the_envelope(client):
    missing = await client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = await client.delete("/api/auth/login")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


async def test_every_response_has_a_request_id_and_a_sane_incoming_one_is_kept(client):
    response = await client.get("/healthz")
    assert len(response.headers["x-request-id"]) == 32
    kept = await client.get("/healthz", headers={"X-Request-ID": "lb-trace-12345678"})
    assert kept.headers["x-request-id"] == "lb-trace-12345678"
    replaced = await client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert "<" not in replaced.headers["x-request-id"]


async def test_a_crash_returns_500_envelope_without_stack_trace(settings, databases):
    app = create_app(settings, databases=databases, check_migrations=False)
    boom = APIRouter()

    @boom.get("/api/boom")
    async def explode() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    app.include_router(boom)
    app.router.routes.insert(0, app.router.routes.pop())  # before the dashboard's catch-all
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.get("/api/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "internal_error"
    assert body["error"]["details"]["request_id"] == response.headers["x-request-id"]
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text


async def test_a_direct_route_answers_like_one_behind_the_middleware(settings, databases):
    """A hot route served before the middleware keeps the request id, the error envelope
    (the application's handlers), the query check and the 500 without a trace."""

    async def direct(request: Request) -> Response:
        if request.headers.get("x-case") == "crash":
            raise RuntimeError("secret internal detail /etc/passwd")
        if request.headers.get("x-case") == "missing":
            raise NotFound("No such thing.")
        return Response(b"ok", media_type="text/plain")

    app = create_app(settings, databases=databases, check_migrations=False)
    route = PlainRoute("/api/direct-probe", direct, methods=["GET"], direct=True)
    app.direct[("GET", route.path)] = route
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        ok = await http.get("/api/direct-probe", headers={"X-Request-ID": "lb-trace-12345678"})
        missing = await http.get("/api/direct-probe", headers={"x-case": "missing"})
        crash = await http.get("/api/direct-probe", headers={"x-case": "crash"})
        nul = await http.get("/api/direct-probe", params={"q": "a\x00b"})
    assert (ok.status_code, ok.text) == (200, "ok")
    assert ok.headers["x-request-id"] == "lb-trace-12345678"
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "code": "not_found",
        "message": "No such thing.",
        "details": None,
    }
    assert len(missing.headers["x-request-id"]) == 32
    assert crash.status_code == 500
    assert crash.json()["error"]["code"] == "internal_error"
    assert crash.json()["error"]["details"]["request_id"] == crash.headers["x-request-id"]
    assert "secret internal detail" not in crash.text
    assert nul.status_code == 422
    assert nul.json()["error"]["details"][0]["loc"] == "query.q"


def test_a_direct_route_has_a_fixed_path():
    async def endpoint(request: Request) -> Response:
        return Response()

    with pytest.raises(ValueError, match="fixed path"):
        PlainRoute("/api/things/{thing}", endpoint, methods=["GET"], direct=True)
