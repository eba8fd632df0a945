"""The public pages' per-process cache: every edit made through the API — a step's
content, a new or deleted step, the offer's price, a pixel added or removed, the
funnel switched off — is on the next page served (the rows' fingerprint is read on
every request), and the same page read with the cache off is the same HTML."""

from __future__ import annotations

import re

from rastro.funnels.builder.service import pages
from tests.funnels.builder import factories as b
from tests.funnels.builder.test_public_pages import _setup


async def _html(client, url: str) -> str:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    return response.text


async def test_edits_reach_the_next_page_served(app, client, databases):
    assert app.state.settings.funnel_page_cache
    org, _, made, base = await _setup(client, databases)
    funnel_id = made["funnel"]["id"]
    capture, checkout = made["steps"]["capture"], made["steps"]["checkout"]
    assert "Baixe o guia agora" not in await _html(client, f"{base}/capture")
    assert any(key[1] == "oferta" for key in pages._cache)  # served from the cache now

    changed = await client.put(
        f"/api/funnels/{funnel_id}/steps/{capture['id']}",
        headers=org.headers,
        json={"content": {**capture["content"], "headline": "Baixe o guia agora"}},
    )
    assert changed.status_code == 200, changed.text
    assert "Baixe o guia agora" in await _html(client, f"{base}/capture")

    assert "R$ 97,00" in await _html(client, f"{base}/checkout")
    await b.put_checkout(client, org, funnel_id, checkout["id"], expect=200, product_price="147.00")
    assert "R$ 147,00" in await _html(client, f"{base}/checkout")

    pixel = await b.add_pixel(client, org, funnel_id, pixel_type="tiktok", pixel_id="C4TIKTOK123")
    assert "C4TIKTOK123" in await _html(client, f"{base}/capture")
    removed = await client.delete(f"/api/tracking/pixels/{pixel['id']}", headers=org.headers)
    assert removed.status_code == 204, removed.text
    assert "C4TIKTOK123" not in await _html(client, f"{base}/capture")

    off = await client.put(
        f"/api/funnels/{funnel_id}", headers=org.headers, json={"is_active": False}
    )
    assert off.status_code == 200, off.text
    assert (await client.get(f"{base}/capture")).status_code == 404


async def test_the_cache_serves_the_same_page(app, client, databases):
    _, _, _, base = await _setup(client, databases)
    cached = await _html(client, f"{base}/checkout")
    app.state.settings = app.state.settings.model_copy(update={"funnel_page_cache": False})
    uncached = await _html(client, f"{base}/checkout")

    def without_token(html: str) -> str:  # each view has its own token and event ids
        return re.sub(r"[0-9a-f]{32}", "", html)

    assert without_token(cached) == without_token(uncached)
