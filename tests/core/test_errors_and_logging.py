"""The error envelope, request ids, and no stack traces for clients."""

from __future__ import annotations

import httpx
from fastapi import APIRouter

from rastro.app import create_app


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
