"""The funnels API: CRUD with slugs unique per organization, steps validated per type,
atomic reorder that refuses anything but the funnel's own steps, a deep clone in one
transaction, and every id checked in the caller's organization."""

from __future__ import annotations

import uuid

import pytest

from rastro.funnels.builder.models import CheckoutConfig, Funnel, FunnelStep, TrackingPixel
from tests.auth.factories import auth_headers, make_account
from tests.funnels.builder import factories as b
from tests.funnels.payments import factories as f


async def test_create_read_update_delete(client, databases):
    org = await f.make_org(client, databases)
    funnel = await b.create_funnel(client, org, name="Lançamento Março", niche="finanças")
    assert funnel["slug"] == "lancamento-marco"
    assert funnel["steps"] == []
    assert funnel["step_count"] == 0
    same_name = await b.create_funnel(client, org, name="Lançamento Março")
    assert same_name["slug"] == "lancamento-marco-2"

    response = await client.put(
        f"/api/funnels/{funnel['id']}",
        headers=org.headers,
        json={"name": "Lançamento Abril", "description": "<b>abril</b>", "is_active": False},
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["name"] == "Lançamento Abril"
    assert changed["slug"] == "lancamento-marco"  # a slug changes only when asked
    assert changed["is_active"] is False

    listed = (await client.get("/api/funnels", headers=org.headers)).json()
    assert listed["total"] == 2
    active = (await client.get("/api/funnels?is_active=true", headers=org.headers)).json()
    assert [x["id"] for x in active["items"]] == [same_name["id"]]

    assert (
        await client.delete(f"/api/funnels/{funnel['id']}", headers=org.headers)
    ).status_code == 204
    assert (
        await client.get(f"/api/funnels/{funnel['id']}", headers=org.headers)
    ).status_code == 404
    assert len(await f.rows(databases, org, Funnel)) == 1


async def test_slugs_unique_per_organization_and_per_funnel(client, databases):
    org = await f.make_org(client, databases)
    other = await f.make_org(client, databases)
    await b.create_funnel(client, org, slug="oferta")
    response = await client.post(
        "/api/funnels", headers=org.headers, json={"name": "X", "slug": "oferta"}
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "slug_taken"
    assert error["details"][0]["loc"] == "body.slug"
    # Another organization may use the same slug.
    theirs = await b.create_funnel(client, other, slug="oferta")
    # Renaming onto a taken slug is refused too.
    mine2 = await b.create_funnel(client, org, slug="outra")
    response = await client.put(
        f"/api/funnels/{mine2['id']}", headers=org.headers, json={"slug": "oferta"}
    )
    assert response.status_code == 409
    # Steps: unique per funnel; the same slug in another funnel is fine.
    await b.add_step(client, org, mine2["id"], "capture", slug="inicio")
    await b.add_step(client, org, mine2["id"], "thankyou", slug="inicio", expect=409)
    await b.add_step(client, other, theirs["id"], "capture", slug="inicio")


@pytest.mark.parametrize(
    ("step_type", "step_settings", "content", "loc"),
    [
        ("capture", {}, {}, "body.content.headline"),
        ("capture", {"fields": ["name"]}, {"headline": "H"}, "body.settings.fields"),
        ("capture", {"fields": ["email", "cpf"]}, {"headline": "H"}, "body.settings.fields.1"),
        ("capture", {}, {"headline": "H", "color": "red"}, "body.content.color"),
        ("vsl", {}, {"headline": "H"}, "body.content.video"),
        (
            "vsl",
            {},
            {"headline": "H", "video": {"provider": "youtube", "video_id": 'x"><script>'}},
            "body.content.video",
        ),
        ("vsl", {"cta_delay_seconds": -1}, b.CONTENT["vsl"], "body.settings.cta_delay_seconds"),
        (
            "checkout",
            {"pix_expires_minutes": 0},
            {"headline": "H"},
            "body.settings.pix_expires_minutes",
        ),
        ("upsell", {"decline_step": "Not A Slug"}, {"headline": "H"}, "body.settings.decline_step"),
        (
            "thankyou",
            {},
            {"headline": "H", "image": {"url": "javascript:alert(1)", "width": 10, "height": 10}},
            "body.content.image.url",
        ),
    ],
)
async def test_step_settings_and_content_are_validated_per_type(
    client, databases, step_type, step_settings, content, loc
):
    org = await f.make_org(client, databases)
    funnel = await b.create_funnel(client, org)
    response = await client.post(
        f"/api/funnels/{funnel['id']}/steps",
        headers=org.headers,
        json={"name": "S", "step_type": step_type, "settings": step_settings, "content": content},
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert loc in [d["loc"] for d in error["details"]]
    assert await f.rows(databases, org, FunnelStep) == []


async def test_unknown_step_type_is_422(client, databases):
    org = await f.make_org(client, databases)
    funnel = await b.create_funnel(client, org)
    response = await client.post(
        f"/api/funnels/{funnel['id']}/steps",
        headers=org.headers,
        json={"name": "S", "step_type": "quiz", "content": {"headline": "H"}},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == "body.step_type"


async def test_steps_keep_positions_defaults_and_update_validation(client, databases):
    org = await f.make_org(client, databases)
    funnel = await b.create_funnel(client, org)
    capture = await b.add_step(client, org, funnel["id"], "capture")
    assert capture["settings"] == {"fields": ["name", "email"]}  # the type's defaults, stored
    assert capture["content"]["button_text"] == "Quero receber"
    thanks = await b.add_step(client, org, funnel["id"], "thankyou")
    vsl = await b.add_step(client, org, funnel["id"], "vsl", position=1)
    steps = (await client.get(f"/api/funnels/{funnel['id']}/steps", headers=org.headers)).json()
    assert [s["id"] for s in steps] == [capture["id"], vsl["id"], thanks["id"]]
    assert [s["order_index"] for s in steps] == [0, 1, 2]
    org_slug = steps[0]["public_path"].split("/")[2]
    assert steps[0]["public_path"] == f"/f/{org_slug}/{funnel['slug']}/capture"

    # An update's content is validated for the step's own type.
    response = await client.put(
        f"/api/funnels/{funnel['id']}/steps/{vsl['id']}",
        headers=org.headers,
        json={"content": {"headline": "Sem vídeo"}},
    )
    assert response.status_code == 422
    response = await client.put(
        f"/api/funnels/{funnel['id']}/steps/{vsl['id']}",
        headers=org.headers,
        json={"name": "Vídeo", "settings": {"cta_delay_seconds": 30}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["settings"] == {"cta_delay_seconds": 30}
    # null for a field that cannot be empty is refused.
    response = await client.put(
        f"/api/funnels/{funnel['id']}/steps/{vsl['id']}", headers=org.headers, json={"name": None}
    )
    assert response.status_code == 422

    # Deleting closes the gap.
    response = await client.delete(
        f"/api/funnels/{funnel['id']}/steps/{vsl['id']}", headers=org.headers
    )
    assert response.status_code == 204
    steps = (await client.get(f"/api/funnels/{funnel['id']}/steps", headers=org.headers)).json()
    assert [(s["id"], s["order_index"]) for s in steps] == [(capture["id"], 0), (thanks["id"], 1)]


async def test_reorder_is_atomic_and_exact(client, databases):
    org = await f.make_org(client, databases)
    other = await f.make_org(client, databases)
    funnel = await b.create_funnel(client, org)
    a = await b.add_step(client, org, funnel["id"], "capture")
    c = await b.add_step(client, org, funnel["id"], "checkout")
    t = await b.add_step(client, org, funnel["id"], "thankyou")
    second = await b.create_funnel(client, org)
    elsewhere = await b.add_step(client, org, second["id"], "capture")
    theirs_funnel = await b.create_funnel(client, other)
    theirs = await b.add_step(client, other, theirs_funnel["id"], "capture")
    url = f"/api/funnels/{funnel['id']}/steps/reorder"

    response = await client.put(
        url, headers=org.headers, json={"step_ids": [t["id"], a["id"], c["id"]]}
    )
    assert response.status_code == 200, response.text
    assert [s["id"] for s in response.json()] == [t["id"], a["id"], c["id"]]
    assert [s["order_index"] for s in response.json()] == [0, 1, 2]

    bad_lists = {
        "missing": [a["id"], c["id"]],
        "repeated": [a["id"], a["id"], c["id"], t["id"]],
        "another funnel's": [a["id"], c["id"], t["id"], elsewhere["id"]],
        "another organization's": [a["id"], c["id"], theirs["id"]],
        "unknown": [a["id"], c["id"], str(uuid.uuid4())],
    }
    for label, ids in bad_lists.items():
        response = await client.put(url, headers=org.headers, json={"step_ids": ids})
        assert response.status_code == 422, label
        assert response.json()["error"]["code"] == "reorder_mismatch", label
    # Nothing moved.
    steps = (await client.get(f"/api/funnels/{funnel['id']}/steps", headers=org.headers)).json()
    assert [s["id"] for s in steps] == [t["id"], a["id"], c["id"]]
    # Not a list of ids: the envelope's 422.
    response = await client.put(url, headers=org.headers, json={"step_ids": ["x"]})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_clone_is_a_deep_copy_with_new_slugs(client, databases):
    org = await f.make_org(client, databases)
    made = await b.full_funnel(client, org, slug="perpetuo")
    funnel = made["funnel"]
    response = await client.post(f"/api/funnels/{funnel['id']}/clone", headers=org.headers)
    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["slug"] == "perpetuo-copia"
    assert copy["id"] != funnel["id"]
    assert copy["is_active"] is False
    original = (await client.get(f"/api/funnels/{funnel['id']}", headers=org.headers)).json()
    assert [(s["slug"], s["step_type"], s["content"]) for s in copy["steps"]] == [
        (s["slug"], s["step_type"], s["content"]) for s in original["steps"]
    ]
    assert not {s["id"] for s in copy["steps"]} & {s["id"] for s in original["steps"]}
    # Checkout configs and pixels point at the copy's own steps.
    copy_steps = {s["id"]: s["slug"] for s in copy["steps"]}
    configs = [
        c for c in await f.rows(databases, org, CheckoutConfig) if str(c.funnel_id) == copy["id"]
    ]
    assert sorted((copy_steps[str(c.step_id)], str(c.product_price)) for c in configs) == [
        ("checkout", "97.00"),
        ("downsell", "19.90"),
        ("upsell", "47.00"),
    ]
    pixels = (
        await client.get(f"/api/tracking/pixels?funnel_id={copy['id']}", headers=org.headers)
    ).json()["items"]
    assert sorted((p["pixel_type"], p["step_id"] and copy_steps[p["step_id"]]) for p in pixels) == [
        ("facebook", None),
        ("tiktok", "checkout"),
    ]
    # A second copy gets the next free slug; a slug asked for that is taken is a 409.
    again = await client.post(f"/api/funnels/{funnel['id']}/clone", headers=org.headers)
    assert again.json()["slug"] == "perpetuo-copia-2"
    taken = await client.post(
        f"/api/funnels/{funnel['id']}/clone", headers=org.headers, json={"slug": "perpetuo"}
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "slug_taken"
    assert len(await f.rows(databases, org, Funnel)) == 3
    assert len(await f.rows(databases, org, FunnelStep)) == 18
    assert len(await f.rows(databases, org, TrackingPixel)) == 6


async def test_other_organizations_ids_are_404_or_unknown(client, databases):
    org = await f.make_org(client, databases)
    other = await f.make_org(client, databases)
    made = await b.full_funnel(client, org)
    funnel_id = made["funnel"]["id"]
    step_id = made["steps"]["capture"]["id"]
    checkout_id = made["steps"]["checkout"]["id"]
    h = other.headers
    for method, path, body in [
        ("GET", f"/api/funnels/{funnel_id}", None),
        ("PUT", f"/api/funnels/{funnel_id}", {"name": "x"}),
        ("DELETE", f"/api/funnels/{funnel_id}", None),
        ("POST", f"/api/funnels/{funnel_id}/clone", None),
        ("GET", f"/api/funnels/{funnel_id}/steps", None),
        (
            "POST",
            f"/api/funnels/{funnel_id}/steps",
            {"name": "S", "step_type": "thankyou", "content": {"headline": "H"}},
        ),
        ("PUT", f"/api/funnels/{funnel_id}/steps/reorder", {"step_ids": [step_id]}),
        ("PUT", f"/api/funnels/{funnel_id}/steps/{step_id}", {"name": "x"}),
        ("DELETE", f"/api/funnels/{funnel_id}/steps/{step_id}", None),
        ("GET", f"/api/checkout/{funnel_id}/{checkout_id}", None),
        (
            "PUT",
            f"/api/checkout/{funnel_id}/{checkout_id}",
            {"product_name": "X", "product_price": "1.00"},
        ),
    ]:
        response = await client.request(method, path, headers=h, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "not_found"
    # A step of another funnel of the same organization is not found under this one.
    second = await b.create_funnel(client, org)
    response = await client.put(
        f"/api/funnels/{second['id']}/steps/{step_id}", headers=org.headers, json={"name": "x"}
    )
    assert response.status_code == 404
    # Naming another organization's funnel or domain in a body is a 422.
    theirs = await b.create_funnel(client, other)
    await b.add_pixel(client, org, theirs["id"], expect=422)
    response = await client.post(
        "/api/funnels", headers=org.headers, json={"name": "X", "domain_id": str(uuid.uuid4())}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_reference"
    # Nothing of the first organization changed.
    assert len(await f.rows(databases, org, FunnelStep)) == 6
    assert (await client.get("/api/funnels", headers=h)).json()["total"] == 1


async def test_checkout_config_rules(client, databases):
    org = await f.make_org(client, databases)
    funnel = await b.create_funnel(client, org)
    capture = await b.add_step(client, org, funnel["id"], "capture")
    checkout = await b.add_step(client, org, funnel["id"], "checkout")
    url = f"/api/checkout/{funnel['id']}/{checkout['id']}"
    assert (await client.get(url, headers=org.headers)).status_code == 404
    created = await b.put_checkout(client, org, funnel["id"], checkout["id"])
    assert created["product_price"] == "97.00"
    assert created["payment_methods"] == ["pix"]
    changed = await b.put_checkout(
        client, org, funnel["id"], checkout["id"], expect=200, product_price="120.50"
    )
    assert changed["id"] == created["id"]
    assert changed["product_price"] == "120.50"
    for price in ("0", "-1", "10.001"):
        await b.put_checkout(
            client, org, funnel["id"], checkout["id"], expect=422, product_price=price
        )
    await b.put_checkout(client, org, funnel["id"], checkout["id"], expect=422, currency="USD")
    await b.put_checkout(client, org, funnel["id"], capture["id"], expect=422)
    assert (await client.get(url, headers=org.headers)).json()["product_price"] == "120.50"


async def test_viewers_read_but_do_not_write(client, databases):
    org = await f.make_org(client, databases)
    funnel = await b.create_funnel(client, org)
    viewer = await make_account(databases, role="viewer", organization_id=org.id)
    headers = await auth_headers(client, viewer)
    assert (await client.get(f"/api/funnels/{funnel['id']}", headers=headers)).status_code == 200
    response = await client.post("/api/funnels", headers=headers, json={"name": "X"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
