"""Factories for the funnels tests: funnels, steps, checkout configs and pixels made
through the API, for an organization from the payments' factories."""

from __future__ import annotations

from typing import Any

import httpx

from tests.funnels.payments.factories import Org

CONTENT: dict[str, dict[str, Any]] = {
    "capture": {"headline": "Baixe o e-book grátis"},
    "vsl": {
        "headline": "Assista antes que saia do ar",
        "video": {"provider": "youtube", "video_id": "dQw4w9WgXcQ"},
    },
    "checkout": {"headline": "Finalize sua compra"},
    "upsell": {"headline": "Leve também o módulo avançado"},
    "downsell": {"headline": "Que tal a versão essencial?"},
    "thankyou": {"headline": "Obrigado!"},
}


async def create_funnel(
    client: httpx.AsyncClient, org: Org, *, expect: int = 201, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/funnels", headers=org.headers, json={"name": "Funil de teste", **body}
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


async def add_step(
    client: httpx.AsyncClient,
    org: Org,
    funnel_id: str,
    step_type: str,
    *,
    expect: int = 201,
    **body: Any,
) -> dict[str, Any]:
    payload = {
        "name": step_type.title(),
        "step_type": step_type,
        "content": CONTENT[step_type],
        **body,
    }
    response = await client.post(
        f"/api/funnels/{funnel_id}/steps", headers=org.headers, json=payload
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


async def put_checkout(
    client: httpx.AsyncClient,
    org: Org,
    funnel_id: str,
    step_id: str,
    *,
    expect: int = 201,
    **body: Any,
) -> dict[str, Any]:
    payload = {"product_name": "Curso Completo", "product_price": "97.00", **body}
    response = await client.put(
        f"/api/checkout/{funnel_id}/{step_id}", headers=org.headers, json=payload
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


async def add_pixel(
    client: httpx.AsyncClient, org: Org, funnel_id: str, *, expect: int = 201, **body: Any
) -> dict[str, Any]:
    payload = {"funnel_id": funnel_id, "pixel_type": "facebook", "pixel_id": "123456789012345"}
    response = await client.post(
        "/api/tracking/pixels", headers=org.headers, json={**payload, **body}
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


async def full_funnel(client: httpx.AsyncClient, org: Org, **body: Any) -> dict[str, Any]:
    """A funnel with one step of every type (capture → vsl → checkout → upsell →
    downsell → thank you), the offers' checkout configs and a Meta pixel."""
    funnel = await create_funnel(client, org, **body)
    steps = {}
    for kind in ("capture", "vsl", "checkout", "upsell", "downsell", "thankyou"):
        settings = (
            {"decline_step": "downsell", "accept_step": "thankyou"} if kind == "upsell" else {}
        )
        steps[kind] = await add_step(client, org, funnel["id"], kind, slug=kind, settings=settings)
    await put_checkout(client, org, funnel["id"], steps["checkout"]["id"])
    await put_checkout(
        client,
        org,
        funnel["id"],
        steps["upsell"]["id"],
        product_name="Módulo Avançado",
        product_price="47.00",
    )
    await put_checkout(
        client,
        org,
        funnel["id"],
        steps["downsell"]["id"],
        product_name="Essencial",
        product_price="19.90",
    )
    await add_pixel(client, org, funnel["id"])
    await add_pixel(
        client,
        org,
        funnel["id"],
        step_id=steps["checkout"]["id"],
        pixel_type="tiktok",
        pixel_id="C4ABCDEFGH12345",
        event_name="InitiateCheckout",
    )
    return {"funnel": funnel, "steps": steps}
