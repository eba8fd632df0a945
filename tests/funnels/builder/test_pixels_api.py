"""Tracking pixels API (`/api/tracking/pixels`): ids checked per platform, a funnel's or
one of its steps', custom snippets for managers only, scoped to the organization."""

from __future__ import annotations

import uuid

import pytest

from rastro.funnels.builder.models import TrackingPixel
from tests.auth.factories import auth_headers, make_account
from tests.funnels.builder import factories as b
from tests.funnels.payments import factories as f


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        ({"pixel_type": "facebook", "pixel_id": "123456789012345"}, True),
        ({"pixel_type": "facebook", "pixel_id": "12ab"}, False),
        ({"pixel_type": "google", "pixel_id": "G-ABC123XYZ"}, True),
        ({"pixel_type": "google", "pixel_id": "AW-123456789/AbC-dEf_1"}, True),
        ({"pixel_type": "google", "pixel_id": "UA-1234-1"}, False),
        ({"pixel_type": "tiktok", "pixel_id": "C4ABCDEFGH12345"}, True),
        ({"pixel_type": "tiktok", "pixel_id": "c4abc'); alert(1);//"}, False),
        ({"pixel_type": "facebook", "pixel_id": "123456789012345", "event_name": "Lead"}, True),
        (
            {"pixel_type": "facebook", "pixel_id": "123456789012345", "event_name": "Lead'); x("},
            False,
        ),
        (
            {
                "pixel_type": "facebook",
                "pixel_id": "123456789012345",
                "snippet": "<script></script>",
            },
            False,
        ),
        ({"pixel_type": "custom", "pixel_id": "hotjar"}, False),
        ({"pixel_type": "snapchat", "pixel_id": "123"}, False),
    ],
)
async def test_pixel_ids_are_checked_per_platform(client, databases, body, ok):
    org = await f.make_org(client, databases)
    funnel = await b.create_funnel(client, org)
    response = await client.post(
        "/api/tracking/pixels", headers=org.headers, json={"funnel_id": funnel["id"], **body}
    )
    if ok:
        assert response.status_code == 201, response.text
    else:
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "validation_error"
        assert await f.rows(databases, org, TrackingPixel) == []


async def test_pixel_crud_and_scoping(client, databases):
    org = await f.make_org(client, databases)
    other = await f.make_org(client, databases)
    made = await b.full_funnel(client, org)
    funnel_id = made["funnel"]["id"]
    second = await b.create_funnel(client, org)
    foreign_step = await b.add_step(client, org, second["id"], "capture")
    theirs = await b.full_funnel(client, other)

    pixel = await b.add_pixel(
        client, org, funnel_id, pixel_type="google", pixel_id="AW-123456789/label"
    )
    listed = (
        await client.get(f"/api/tracking/pixels?funnel_id={funnel_id}", headers=org.headers)
    ).json()
    assert listed["total"] == 3
    by_step = (
        await client.get(
            f"/api/tracking/pixels?step_id={made['steps']['checkout']['id']}", headers=org.headers
        )
    ).json()
    assert [p["pixel_type"] for p in by_step["items"]] == ["tiktok"]

    # A step of another funnel, or another organization's funnel or step: 422.
    await b.add_pixel(client, org, funnel_id, step_id=foreign_step["id"], expect=422)
    await b.add_pixel(client, org, theirs["funnel"]["id"], expect=422)
    response = await client.put(
        f"/api/tracking/pixels/{pixel['id']}",
        headers=org.headers,
        json={"step_id": theirs["steps"]["capture"]["id"]},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_reference"

    # Updates are checked against the pixel's platform.
    response = await client.put(
        f"/api/tracking/pixels/{pixel['id']}", headers=org.headers, json={"pixel_id": "12345"}
    )
    assert response.status_code == 422
    response = await client.put(
        f"/api/tracking/pixels/{pixel['id']}",
        headers=org.headers,
        json={
            "pixel_id": "G-NEWTAG123",
            "event_name": "Purchase",
            "step_id": made["steps"]["thankyou"]["id"],
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["pixel_id"] == "G-NEWTAG123"
    assert response.json()["step_id"] == made["steps"]["thankyou"]["id"]

    # Another organization sees, changes and deletes nothing of it.
    for method, body in (("PUT", {"is_active": False}), ("DELETE", None)):
        response = await client.request(
            method, f"/api/tracking/pixels/{pixel['id']}", headers=other.headers, json=body
        )
        assert response.status_code == 404
    assert (await client.get("/api/tracking/pixels", headers=other.headers)).json()["total"] == 2

    assert (
        await client.delete(f"/api/tracking/pixels/{pixel['id']}", headers=org.headers)
    ).status_code == 204
    assert (
        await client.delete(f"/api/tracking/pixels/{pixel['id']}", headers=org.headers)
    ).status_code == 404
    # Deleting a step takes its pixels with it.
    await client.delete(
        f"/api/funnels/{funnel_id}/steps/{made['steps']['checkout']['id']}", headers=org.headers
    )
    assert [p.pixel_type for p in await f.rows(databases, org, TrackingPixel)] == ["facebook"]


async def test_custom_snippets_are_for_managers(client, databases):
    org = await f.make_org(client, databases)
    funnel = await b.create_funnel(client, org)
    analyst = await make_account(databases, role="analyst", organization_id=org.id)
    analyst_headers = await auth_headers(client, analyst)
    body = {
        "funnel_id": funnel["id"],
        "pixel_type": "custom",
        "pixel_id": "hotjar",
        "snippet": "<script>1</script>",
    }
    response = await client.post("/api/tracking/pixels", headers=analyst_headers, json=body)
    assert response.status_code == 403
    assert response.json()["error"]["details"] == {"permission": "funnels:scripts"}
    # An analyst still places platform pixels.
    response = await client.post(
        "/api/tracking/pixels",
        headers=analyst_headers,
        json={"funnel_id": funnel["id"], "pixel_type": "facebook", "pixel_id": "123456789012345"},
    )
    assert response.status_code == 201
    custom = await client.post("/api/tracking/pixels", headers=org.headers, json=body)
    assert custom.status_code == 201
    response = await client.put(
        f"/api/tracking/pixels/{custom.json()['id']}",
        headers=analyst_headers,
        json={"snippet": "<b>x</b>"},
    )
    assert response.status_code == 403
    assert (await f.rows(databases, org, TrackingPixel, TrackingPixel.pixel_type == "custom"))[
        0
    ].snippet == "<script>1</script>"


async def test_a_payment_names_only_the_organizations_funnel_and_step(client, databases):
    org = await f.make_org(client, databases)
    other = await f.make_org(client, databases)
    await f.add_static_pix(client, org)
    mine = await b.full_funnel(client, org)
    theirs = await b.full_funnel(client, other)
    base = {"amount": "10.00", "product_name": "X"}
    for extra, loc in [
        ({"funnel_id": theirs["funnel"]["id"]}, "funnel_id"),
        ({"funnel_id": str(uuid.uuid4())}, "funnel_id"),
        (
            {"funnel_id": mine["funnel"]["id"], "step_id": theirs["steps"]["checkout"]["id"]},
            "step_id",
        ),
        ({"step_id": mine["steps"]["checkout"]["id"]}, "step_id"),
    ]:
        response = await client.post(
            "/api/payments/create", headers=org.headers, json={**base, **extra}
        )
        assert response.status_code == 422, extra
        details = response.json()["error"]["details"]
        assert loc in (details.get("field") if isinstance(details, dict) else details[0]["loc"])
    ok = await client.post(
        "/api/payments/create",
        headers=org.headers,
        json={
            **base,
            "funnel_id": mine["funnel"]["id"],
            "step_id": mine["steps"]["checkout"]["id"],
        },
    )
    assert ok.status_code == 201, ok.text
    # Deleting the funnel keeps the payment, without its funnel.
    await client.delete(f"/api/funnels/{mine['funnel']['id']}", headers=org.headers)
    payment = (await client.get(f"/api/payments/{ok.json()['id']}", headers=org.headers)).json()
    assert payment["funnel_id"] is None
    assert payment["step_id"] is None
