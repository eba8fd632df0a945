"""Funnel pages and the tracked session: the tracker's page view (not the page) moves the
session through the funnel; pages on the organization's own host; the pixels' config."""

from __future__ import annotations

import json
import time
import uuid

from sqlalchemy import select

from rastro.core.db import Scope
from rastro.crm.models import Lead
from rastro.tracking.models import TrackedSession
from tests.funnels.builder import factories as b
from tests.funnels.builder.pages_setup import SESSION, VISITOR, form_token, page_config, setup_shop
from tests.funnels.payments import factories as f
from tests.tracking.factories import CHROME


async def _collect(client, domain, url: str) -> None:
    """The tracker's page view of `url`, from a phone's browser (a bot's session is left
    off the funnel)."""
    response = await client.post(
        "/api/collect",
        headers={
            "content-type": "text/plain;charset=UTF-8",
            "origin": "http://testserver",
            "user-agent": CHROME,
        },
        content=json.dumps(
            {
                "site": domain["site_key"],
                "session_id": SESSION,
                "visitor_id": VISITOR,
                "events": [
                    {
                        "event_id": str(uuid.uuid4()),
                        "type": "page_view",
                        "ts": int(time.time() * 1000),
                        "url": url,
                    }
                ],
            }
        ),
    )
    assert response.json()["accepted"] == 1


async def _funnel_step(databases, org) -> tuple[str | None, str | None]:
    async with databases.bi.transaction(Scope.organization(org.id)) as session:
        row = (
            await session.execute(select(TrackedSession.funnel_id, TrackedSession.current_step_id))
        ).one()
    return (str(row[0]) if row[0] else None, str(row[1]) if row[1] else None)


async def test_moving_through_the_funnel_sets_the_sessions_funnel_and_step(client, databases):
    org, domain, made, base = await setup_shop(client, databases)
    funnel_id, steps = made["funnel"]["id"], made["steps"]
    # The very first page: the tracker has not set its cookie yet; its page view puts
    # the session on the step.
    assert (await client.get(f"{base}/capture")).status_code == 200
    await _collect(client, domain, f"http://testserver{base}/capture?utm_source=google")
    assert await _funnel_step(databases, org) == (funnel_id, steps["capture"]["id"])
    # The next pages carry the tracker's session cookie: the page itself (kept or not)
    # writes nothing, its page view moves the session.
    client.cookies.set("_rastro_s", SESSION)
    try:
        for kept in (False, True):  # the first GET renders the page, the second is kept
            assert (await client.get(f"{base}/vsl")).status_code == 200
            assert await _funnel_step(databases, org) == (funnel_id, steps["capture"]["id"]), kept
        await _collect(client, domain, f"http://testserver{base}/vsl")
        assert await _funnel_step(databases, org) == (funnel_id, steps["vsl"]["id"])
    finally:
        client.cookies.clear()
    # A form names the session in its hidden field: its POST places it too.
    token = form_token((await client.get(f"{base}/checkout")).text)
    await client.post(
        f"{base}/checkout",
        data={
            "name": "Maria",
            "email": "maria@example.com",
            "document": "529.982.247-25",
            "token": token,
            "rastro_session_id": SESSION,
        },
    )
    assert await _funnel_step(databases, org) == (funnel_id, steps["checkout"]["id"])
    # Another organization's funnel page does not touch this organization's session.
    _, _, _, other_base = await setup_shop(client, databases)
    client.cookies.set("_rastro_s", SESSION)
    try:
        await client.get(f"{other_base}/thankyou")
    finally:
        client.cookies.clear()
    assert await _funnel_step(databases, org) == (funnel_id, steps["checkout"]["id"])


async def test_capture_on_the_organizations_own_host(client, databases):
    org, _, _, _ = await setup_shop(client, databases)
    host = {"host": "loja.example.com"}
    html = (await client.get("/f/oferta/capture", headers=host)).text
    response = await client.post(
        "/f/oferta/capture",
        headers=host,
        data={"name": "Ana", "email": "ana@example.com", "token": form_token(html)},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/f/oferta/vsl"
    assert len(await f.rows(databases, org, Lead)) == 1


async def test_google_and_tiktok_pixels_in_the_page_config(client, databases):
    org, _, made, base = await setup_shop(client, databases)
    await b.add_pixel(
        client,
        org,
        made["funnel"]["id"],
        pixel_type="google",
        pixel_id="AW-123456789/AbCd",
        event_name="Lead",
        step_id=made["steps"]["vsl"]["id"],
    )
    html = (await client.get(f"{base}/vsl")).text
    config = page_config(html)
    assert config["pixels"] == [
        {"t": "facebook", "p": "123456789012345"},
        {"t": "google", "p": "AW-123456789/AbCd"},
    ]
    assert config["lead"] is None  # Lead goes with the capture form only
    assert config["events"] == []
    assert "<form" not in html
