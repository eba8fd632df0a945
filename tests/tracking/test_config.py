"""Domains, landing pages, A/B tests and variant assignment."""

from __future__ import annotations

from collections import Counter

from tests.tracking.factories import ORIGIN, batch, collect, event, make_site


async def test_domain_gets_a_site_key_default_origins_and_a_snippet(client, databases):
    site = await make_site(client, databases)
    domain = site.domain
    assert domain["domain_name"] == "loja.example.com.br"
    assert domain["site_key"].startswith("rs_")
    assert len(domain["site_key"]) > 20
    assert domain["allowed_origins"] == [ORIGIN, "https://www.loja.example.com.br"]
    assert domain["snippet"] == (
        f'<script defer src="http://testserver/t.js" data-site="{domain["site_key"]}"></script>'
    )
    assert domain["metadata"]["settings"] == {
        "timezone": "America/Sao_Paulo",
        "language": "pt-BR",
        "cookie_days": 90,
        "consent_mode": "off",
    }
    # a cookie lifetime other than the tracker's default goes into the snippet
    settings = {**domain["metadata"]["settings"], "cookie_days": 30}
    changed = await client.patch(
        f"/api/domains/{domain['domain_id']}",
        headers=site.headers,
        json={"metadata": {**domain["metadata"], "settings": settings}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["snippet"] == (
        f'<script defer src="http://testserver/t.js" data-site="{domain["site_key"]}"'
        ' data-cookie-days="30"></script>'
    )
    again = await client.post("/api/domains", headers=site.headers, json={"domain_url": ORIGIN})
    assert again.status_code == 409
    bad = await client.post("/api/domains", headers=site.headers, json={"domain_url": "not a url"})
    assert (bad.status_code, bad.json()["error"]["details"][0]["loc"]) == (422, "body.domain_url")


async def test_changing_allowed_origins_applies_to_the_collector(client, databases):
    site = await make_site(client, databases)
    other = "https://promo.example.net"
    assert (await collect(client, batch(site, [event()]), origin=other)).status_code == 403
    response = await client.patch(
        f"/api/domains/{site.domain['domain_id']}",
        headers=site.headers,
        json={"allowed_origins": [other + "/path-is-ignored", ORIGIN]},
    )
    assert response.json()["allowed_origins"] == [ORIGIN, other]
    assert (await collect(client, batch(site, [event()]), origin=other)).status_code == 200


async def test_viewers_read_but_only_managers_change_tracking_config(client, databases):
    from tests.auth.factories import auth_headers, make_account

    site = await make_site(client, databases)
    viewer = await make_account(
        databases, role="viewer", organization_id=site.account.organization_id
    )
    headers = await auth_headers(client, viewer)
    assert (await client.get("/api/domains", headers=headers)).json()["total"] == 1
    denied = await client.post(
        "/api/domains", headers=headers, json={"domain_url": "https://x.com"}
    )
    assert denied.status_code == 403
    other = await make_site(client, databases)
    assert (
        await client.get(f"/api/domains/{site.domain['domain_id']}", headers=other.headers)
    ).status_code == 404


async def _page(client, site, path, name):
    response = await client.post(
        "/api/landing-pages",
        headers=site.headers,
        json={
            "domain_id": site.domain["domain_id"],
            "page_url": f"{ORIGIN}{path}",
            "page_name": name,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_page_views_are_linked_to_their_landing_page(client, databases):
    site = await make_site(client, databases)
    lp = await _page(client, site, "/oferta/", "Oferta")
    await collect(
        client, batch(site, [event(url="https://www.loja.example.com.br/oferta?utm_source=x")])
    )
    sessions = (await client.get("/api/sessions/live", headers=site.headers)).json()["items"]
    timeline = (
        await client.get(f"/api/sessions/{sessions[0]['session_id']}", headers=site.headers)
    ).json()
    assert timeline["touches"][0]["page_url"].startswith("https://www.loja.example.com.br/oferta")
    from sqlalchemy import select

    from rastro.core.db import Scope
    from rastro.tracking.models import PageView, TrackedSession

    async with databases.bi.transaction(Scope.organization(site.account.organization_id)) as s:
        (view,) = list(await s.scalars(select(PageView)))
        (tracked,) = list(await s.scalars(select(TrackedSession)))
    assert str(view.page_id) == lp["page_id"] == str(tracked.first_page_id)


async def test_ab_variants_are_deterministic_per_visitor_and_follow_the_weights(client, databases):
    site = await make_site(client, databases)
    a = await _page(client, site, "/lp-a", "LP A")
    b = await _page(client, site, "/lp-b", "LP B")
    created = await client.post(
        "/api/ab-tests",
        headers=site.headers,
        json={
            "domain_id": site.domain["domain_id"],
            "name": "Headline",
            "variants": [
                {
                    "page_id": a["page_id"],
                    "page_variant": "A",
                    "is_control": True,
                    "variant_weight": 3,
                },
                {"page_id": b["page_id"], "page_variant": "B", "variant_weight": 1},
            ],
        },
    )
    assert created.status_code == 201, created.text
    test = created.json()
    assert {v["page_variant"] for v in test["variants"]} == {"A", "B"}

    async def assign(visitor):
        response = await client.get(
            "/api/collect/variant",
            params={"site": site.key, "test": test["ab_test_id"], "visitor": visitor},
            headers={"origin": ORIGIN},
        )
        assert response.status_code == 200, response.text
        return response.json()["page_variant"]

    first = await assign("v_same_visitor_000001")
    repeats = [await assign("v_same_visitor_000001") for _ in range(5)]
    assert repeats == [first] * 5
    counts = Counter([await assign(f"v_visitor_{n:012d}") for n in range(400)])
    assert 0.65 < counts["A"] / 400 < 0.85  # weight 3:1

    no_control = await client.post(
        "/api/ab-tests",
        headers=site.headers,
        json={
            "domain_id": site.domain["domain_id"],
            "name": "X",
            "variants": [
                {"page_id": a["page_id"], "page_variant": "A"},
                {"page_id": b["page_id"], "page_variant": "B"},
            ],
        },
    )
    assert no_control.status_code == 422


async def _two_variant_test(client, site, name: str, path: str) -> dict:
    """An A/B test of two new landing pages, `<path>-a` (the control) and `<path>-b`."""
    a = await _page(client, site, f"{path}-a", f"{path[1:].upper()} A")
    b = await _page(client, site, f"{path}-b", f"{path[1:].upper()} B")
    response = await client.post(
        "/api/ab-tests",
        headers=site.headers,
        json={
            "domain_id": site.domain["domain_id"],
            "name": name,
            "variants": [
                {"page_id": a["page_id"], "page_variant": "A", "is_control": True},
                {"page_id": b["page_id"], "page_variant": "B"},
            ],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_ab_tests_are_listed_per_domain_with_their_variants(client, databases):
    site = await make_site(client, databases)
    await _two_variant_test(client, site, "Preço", "/x")
    listed = (
        await client.get(
            f"/api/ab-tests?domain_id={site.domain['domain_id']}", headers=site.headers
        )
    ).json()
    assert listed["total"] == 1
    assert [v["page_variant"] for v in listed["items"][0]["variants"]] == ["A", "B"]
    other = await make_site(client, databases)
    assert (await client.get("/api/ab-tests", headers=other.headers)).json()["total"] == 0


async def test_ab_tests_are_stopped_resumed_and_deleted(client, databases):
    site = await make_site(client, databases)
    test = await _two_variant_test(client, site, "Oferta", "/y")
    url = f"/api/ab-tests/{test['ab_test_id']}"

    async def assign():
        return await client.get(
            "/api/collect/variant",
            params={"site": site.key, "test": test["ab_test_id"], "visitor": "v_stop_000000001"},
            headers={"origin": ORIGIN},
        )

    other = await make_site(client, databases)
    assert (
        await client.patch(url, headers=other.headers, json={"is_active": False})
    ).status_code == 404
    stopped = await client.patch(
        url, headers=site.headers, json={"is_active": False, "name": "Oferta 2"}
    )
    assert stopped.status_code == 200, stopped.text
    assert (stopped.json()["is_active"], stopped.json()["name"]) == (False, "Oferta 2")
    assert len(stopped.json()["variants"]) == 2
    assert (await assign()).status_code == 404
    await client.patch(url, headers=site.headers, json={"is_active": True})
    assert (await assign()).status_code == 200
    assert (await client.delete(url, headers=other.headers)).status_code == 404
    assert (await client.delete(url, headers=site.headers)).status_code == 204
    assert (await client.get(url, headers=site.headers)).status_code == 404
    pages = (await client.get("/api/landing-pages", headers=site.headers)).json()["items"]
    assert sorted((p["page_name"], p["ab_test_id"], p["is_control"]) for p in pages) == [
        ("Y A", None, False),
        ("Y B", None, False),
    ]


async def test_landing_pages_are_changed_and_deleted(client, databases):
    site = await make_site(client, databases)
    page = await _page(client, site, "/z", "Z")
    url = f"/api/landing-pages/{page['page_id']}"
    changed = await client.patch(
        url, headers=site.headers, json={"page_url": f"{ORIGIN}/z-2", "is_active": False}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["page_url"], changed.json()["is_active"]) == (f"{ORIGIN}/z-2", False)
    other = await make_site(client, databases)
    assert (await client.delete(url, headers=other.headers)).status_code == 404
    assert (await client.delete(url, headers=site.headers)).status_code == 204
    assert (await client.get("/api/landing-pages", headers=site.headers)).json()["total"] == 0
    gone = await client.delete(f"/api/domains/{site.domain['domain_id']}", headers=site.headers)
    assert gone.status_code == 204
    assert (await client.get("/api/domains", headers=site.headers)).json()["total"] == 0


async def test_the_tracker_script_is_served_small_and_cacheable(client):
    import gzip

    response = await client.get("/t.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert len(gzip.compress(response.content, 9)) <= 3200  # tracker/scripts/size.mjs
    assert b"/api/collect" in response.content
    again = await client.get("/t.js", headers={"if-none-match": response.headers["etag"]})
    assert again.status_code == 304
