"""The public pages' per-process caches: every edit made through the API — a step's
content, a new or deleted step, the offer's price, a pixel added or removed, the
funnel switched off — is on the next page served (an edit committed in this process drops
the kept pages; the rows' fingerprint is read at most once a second per page), the same
page read with the cache off is the same HTML, a kept page is served with no database
read and its own token, and an edit from another process is seen once the page is a
second old."""

from __future__ import annotations

import gzip
import re
import uuid

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from rastro.core.db import SYSTEM
from rastro.funnels.builder.public import page_cache
from rastro.funnels.builder.service import pages
from tests.funnels.builder import factories as b
from tests.funnels.builder.pages_setup import setup_shop


async def _html(client, url: str) -> str:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    return response.text


async def test_edits_reach_the_next_page_served(app, client, databases):
    assert app.state.settings.funnel_page_cache
    org, _, made, base = await setup_shop(client, databases)
    funnel_id = made["funnel"]["id"]
    capture, checkout = made["steps"]["capture"], made["steps"]["checkout"]
    assert "Baixe o guia agora" not in await _html(client, f"{base}/capture")
    assert any(key[1] == "oferta" for key in pages._cache)  # the step's rows, kept
    assert any(key[2].endswith("/oferta/capture") for key in page_cache._pages)  # the page

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
    _, _, _, base = await setup_shop(client, databases)
    cached = await _html(client, f"{base}/checkout")
    app.state.settings = app.state.settings.model_copy(update={"funnel_page_cache": False})
    uncached = await _html(client, f"{base}/checkout")

    def without_token(html: str) -> str:  # each view has its own token and event ids
        return re.sub(r"[0-9a-f]{32}", "", html)

    assert without_token(cached) == without_token(uncached)


def _without_token(html: str) -> str:
    return re.sub(r"[0-9a-f]{32}", "", html)


def form_token(html: str) -> str:
    match = re.search(r'name="token" value="([0-9a-f]{32})"', html)
    assert match
    return match.group(1)


async def test_a_kept_page_is_served_with_no_database_read_and_its_own_token(
    client, databases, monkeypatch
):
    monkeypatch.setattr(page_cache, "FRESH_SECONDS", 3600.0)  # however busy the machine
    _, _, _, base = await setup_shop(client, databases)
    first = await _html(client, f"{base}/capture")
    reads = []
    original = pages.find_organization

    async def counted(*args, **kwargs):
        reads.append(1)
        return await original(*args, **kwargs)

    monkeypatch.setattr(pages, "find_organization", counted)
    kept = await client.get(f"{base}/capture", headers={"accept-encoding": "gzip"})
    assert kept.headers["content-encoding"] == "gzip"  # deflated once, decoded by httpx
    second = kept.text
    assert reads == []  # the lean route answered
    assert form_token(first) != form_token(second)
    assert f"pv-{form_token(second)}" in second  # the pixels' event ids follow the token
    assert _without_token(first) == _without_token(second)
    # A page with a payment or a resume link is never the kept one.
    await client.get(f"{base}/checkout?payment=00000000-0000-0000-0000-000000000000")
    assert reads == [1]
    # Past FRESH_SECONDS the ordinary route reads the rows again, and keeps the same page.
    monkeypatch.setattr(page_cache, "FRESH_SECONDS", 0.0)
    third = await _html(client, f"{base}/capture")
    assert reads == [1, 1]
    assert _without_token(third) == _without_token(first)


async def test_an_edit_from_another_process_is_seen_once_the_page_is_a_second_old(
    client, databases, monkeypatch
):
    monkeypatch.setattr(page_cache, "FRESH_SECONDS", 3600.0)  # however busy the machine
    _, _, made, base = await setup_shop(client, databases)
    assert "Outro processo" not in await _html(client, f"{base}/capture")
    # Written as another process would: no ORM event of this process sees it.
    async with databases.crm.transaction(SYSTEM) as session:
        await session.execute(
            text(
                'UPDATE funnel_steps SET content = content || \'{"headline": "Outro processo"}\','
                " updated_at = now() WHERE id = :id"
            ),
            {"id": made["steps"]["capture"]["id"]},
        )
    assert "Outro processo" not in await _html(client, f"{base}/capture")  # still fresh
    monkeypatch.setattr(page_cache, "FRESH_SECONDS", 0.0)  # a second later
    assert "Outro processo" in await _html(client, f"{base}/capture")


@given(st.lists(st.binary(max_size=3000), min_size=1, max_size=5))
def test_the_gzip_of_a_kept_page_is_the_page_with_its_token(chunks):
    marker = uuid.uuid4().hex.encode()
    body = marker.join(chunks)
    parts = tuple(body.split(marker))
    page = page_cache.CachedPage(0, 0.0, None, 200, [], parts, page_cache._deflate(parts))
    token = uuid.uuid4().hex
    plain = page_cache.body_of(page, token)
    assert plain == token.encode().join(chunks)
    assert gzip.decompress(page_cache.gzip_body(page, token, plain)) == plain
