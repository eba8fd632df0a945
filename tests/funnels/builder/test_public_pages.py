"""The public step pages: server-rendered with the tracker and the funnel's pixels, small,
escaped; capture makes one lead with the tracker's fields; checkout makes a PIX charge
and follows it to the next step; upsell accept/decline; the Purchase pixel carries the
payment's event id; found by organization slug or by the organization's own host."""

from __future__ import annotations

import json
import re
import time
import uuid
from html import unescape

from rastro.crm.models import Lead
from rastro.funnels.payments.models import Payment
from tests.funnels.builder import factories as b
from tests.funnels.builder.pages_setup import SESSION, VISITOR, form_token, page_config, setup_shop
from tests.funnels.payments import factories as f


async def test_capture_page_is_small_escaped_and_tracked(client, databases):
    org, domain, made, base = await setup_shop(client, databases)
    capture = made["steps"]["capture"]
    response = await client.put(
        f"/api/funnels/{made['funnel']['id']}/steps/{capture['id']}",
        headers=org.headers,
        json={
            "content": {
                "headline": "<script>alert('x')</script> Grátis",
                "body": "Linha 1\n\n<b>Linha 2</b>",
            }
        },
    )
    assert response.status_code == 200, response.text
    page = await client.get(f"{base}/capture")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert len(page.content) <= 50 * 1024
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Grátis" in html
    assert "<p>&lt;b&gt;Linha 2&lt;/b&gt;</p>" in html
    assert f'<script defer src="/t.js" data-site="{domain["site_key"]}"></script>' in html
    assert "/assets/" not in html  # no dashboard bundle
    for name in ("rastro_session_id", "rastro_visitor_id", "utm_source", "fbclid", "fbc", "fbp"):
        assert f'name="{name}"' in html
    config = page_config(html)
    assert config["pixels"] == [
        {"t": "facebook", "p": "123456789012345"}
    ]  # not the checkout's TikTok
    assert config["pv"] == f"pv-{form_token(html)}"
    assert config["consent"] is False


async def test_capture_makes_one_lead_with_the_trackers_fields(client, databases):
    org, domain, made, base = await setup_shop(client, databases)
    # The tracker's page view of the capture page, from an ad click.
    landing = f"http://testserver{base}/capture?utm_source=facebook&utm_campaign=lancamento&fbclid=IwAR0abc"
    collected = await client.post(
        "/api/collect",
        headers={"content-type": "text/plain;charset=UTF-8", "origin": "http://testserver"},
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
                        "url": landing,
                    }
                ],
            }
        ),
    )
    assert collected.status_code == 200, collected.text
    assert collected.json()["accepted"] == 1
    html = (await client.get(f"{base}/capture")).text
    form = {
        "name": "Ana Lima",
        "email": "ana.lima@example.com",
        "token": form_token(html),
        "rastro_session_id": SESSION,
        "rastro_visitor_id": VISITOR,
        "utm_source": "facebook",
        "utm_campaign": "lancamento",
        "fbclid": "IwAR0abc",
    }
    response = await client.post(f"{base}/capture", data=form)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{base}/vsl"
    again = await client.post(f"{base}/capture", data=form)  # a double submit
    assert again.status_code == 303
    (lead,) = await f.rows(databases, org, Lead)
    assert lead.session_id == SESSION
    assert lead.attribution_status == "attributed"
    assert lead.metadata_["click_ids"]["fbclid"] == "IwAR0abc"
    assert lead.metadata_["form"]["funnel_id"] == made["funnel"]["id"]
    assert lead.metadata_["form"]["lead_event_id"] == f"lead-{form['token']}"

    bad = await client.post(
        f"{base}/capture", data={**form, "email": "not-an-email", "token": uuid.uuid4().hex}
    )
    assert bad.status_code == 422
    assert "Informe um e-mail válido." in bad.text
    assert 'value="not-an-email"' in bad.text
    assert len(await f.rows(databases, org, Lead)) == 1


async def test_lead_pixel_fires_on_the_capture_form_with_its_event_id(client, databases):
    org, _, made, base = await setup_shop(client, databases)
    await b.add_pixel(
        client,
        org,
        made["funnel"]["id"],
        pixel_type="tiktok",
        pixel_id="C9LEADPIXEL01",
        event_name="Lead",
        step_id=made["steps"]["capture"]["id"],
    )
    html = (await client.get(f"{base}/capture")).text
    config = page_config(html)
    assert config["lead"] == {"n": "Lead", "p": [1], "e": f"lead-{form_token(html)}", "d": {}}
    assert "data-lead" in html


async def test_checkout_pix_and_upsell_path(client, databases):
    org, _, made, base = await setup_shop(client, databases)
    page = await client.get(f"{base}/checkout")
    assert "R$ 97,00" in page.text
    config = page_config(page.text)
    assert {
        "n": "InitiateCheckout",
        "p": [1],
        "e": f"initiatecheckout-{form_token(page.text)}",
        "d": {},
    } in config["events"]
    token = form_token(page.text)
    buyer = {
        "name": "Maria Souza",
        "email": "maria.souza@example.com",
        "phone": "11987654321",
        "document": "529.982.247-25",
        "token": token,
        "rastro_session_id": SESSION,
        "rastro_visitor_id": VISITOR,
    }
    response = await client.post(f"{base}/checkout", data=buyer)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(f"{base}/checkout?payment=")
    payment_id = location.split("=", 1)[1]
    # The same form again is the same charge.
    again = await client.post(f"{base}/checkout", data=buyer)
    assert again.headers["location"] == location
    (payment,) = await f.rows(databases, org, Payment)
    assert str(payment.id) == payment_id
    assert (str(payment.funnel_id), str(payment.step_id)) == (
        made["funnel"]["id"],
        made["steps"]["checkout"]["id"],
    )
    assert payment.session_id == SESSION
    assert payment.amount == 97

    pix = await client.get(location)
    assert pix.status_code == 200
    assert "<svg" in pix.text
    assert unescape(pix.text).count(payment.pix_copy_paste) == 1
    assert len(pix.content) <= 50 * 1024
    poll = page_config(pix.text)["poll"]
    assert poll == {
        "url": f"/f/_status/{payment_id}",
        "next": f"{base}/upsell?payment={payment_id}",
    }
    assert (await client.get(poll["url"])).json() == {"status": "pending"}

    confirmed = await client.post(f"/api/payments/{payment_id}/confirm", headers=org.headers)
    assert confirmed.status_code == 200
    assert (await client.get(poll["url"])).json() == {"status": "paid"}
    moved = await client.get(location)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"{base}/upsell?payment={payment_id}"

    upsell = await client.get(moved.headers["location"])
    assert upsell.status_code == 200
    assert "R$ 47,00" in upsell.text
    purchase = [e for e in page_config(upsell.text)["events"] if e["n"] == "Purchase"]
    assert purchase == [
        {
            "n": "Purchase",
            "p": None,
            "e": f"purchase-{payment_id}",
            "d": {"value": 97.0, "currency": "BRL"},
        }
    ]
    # The same id the payments API gives the server-side conversion.
    status = (await client.get(f"/api/payments/{payment_id}/status", headers=org.headers)).json()
    assert status["purchase_event_id"] == purchase[0]["e"]

    accept = {"action": "accept", "payment": payment_id, "token": form_token(upsell.text)}
    accepted = await client.post(f"{base}/upsell", data=accept)
    assert accepted.status_code == 303, accepted.text
    upsell_payment_id = accepted.headers["location"].split("=", 1)[1]
    again = await client.post(f"{base}/upsell", data=accept)
    assert again.headers["location"] == accepted.headers["location"]
    upsell_payment = (
        await f.rows(databases, org, Payment, Payment.id == uuid.UUID(upsell_payment_id))
    )[0]
    assert str(upsell_payment.parent_payment_id) == payment_id
    assert upsell_payment.amount == 47
    assert upsell_payment.customer_data["email"] == "maria.souza@example.com"
    upsell_pix = await client.get(accepted.headers["location"])
    assert (
        page_config(upsell_pix.text)["poll"]["next"]
        == f"{base}/thankyou?payment={upsell_payment_id}"
    )

    declined = await client.post(f"{base}/upsell", data={**accept, "action": "decline"})
    assert declined.headers["location"] == f"{base}/downsell?payment={payment_id}"
    thanks = await client.get(f"{base}/thankyou?payment={payment_id}")
    assert "Pagamento confirmado." in thanks.text
    assert len(await f.rows(databases, org, Payment)) == 2


async def test_checkout_refuses_bad_buyer_data_with_nothing_stored(client, databases):
    org, _, _, base = await setup_shop(client, databases)
    token = form_token((await client.get(f"{base}/checkout")).text)
    good = {
        "name": "Maria",
        "email": "maria@example.com",
        "document": "529.982.247-25",
        "token": token,
    }
    for field, value, message in [
        ("document", "529.982.247-26", "Informe um CPF ou CNPJ válido."),
        ("email", "maria@", "Informe um e-mail válido."),
        ("name", "", "Informe seu nome."),
        ("phone", "12", "Informe um telefone válido, com DDD."),
    ]:
        response = await client.post(f"{base}/checkout", data={**good, field: value})
        assert response.status_code == 422, field
        assert message in response.text
    assert await f.rows(databases, org, Payment) == []


async def test_offer_without_a_paid_purchase_moves_on(client, databases):
    _, _, _, base = await setup_shop(client, databases)
    response = await client.get(f"{base}/upsell")
    assert response.status_code == 303
    assert response.headers["location"] == f"{base}/downsell"
    response = await client.post(
        f"{base}/upsell", data={"action": "accept", "payment": str(uuid.uuid4())}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{base}/downsell"


async def test_pages_by_host_and_what_is_not_found(client, databases):
    org, _, made, base = await setup_shop(client, databases)
    other = await f.make_org(client, databases)
    on_domain = await client.get("/f/oferta/capture", headers={"host": "loja.example.com"})
    assert on_domain.status_code == 200
    form_action = re.search(r'<form class="card" method="post" action="([^"]+)"', on_domain.text)
    assert form_action.group(1) == "/f/oferta/capture"
    assert (await client.get("/f/oferta/capture")).status_code == 404  # Rastro's own host
    assert (
        await client.get("/f/oferta/capture", headers={"host": "outra.example.com"})
    ).status_code == 404
    other_slug = (await client.get("/api/auth/me", headers=other.headers)).json()
    missing = await client.get(f"{base}/nao-existe")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "Página não encontrada" in missing.text
    foreign = base.replace(base.split("/")[2], "org-que-nao-existe")
    assert (await client.get(f"{foreign}/capture")).status_code == 404
    # Inactive steps and funnels are not public.
    capture = made["steps"]["capture"]
    await client.put(
        f"/api/funnels/{made['funnel']['id']}/steps/{capture['id']}",
        headers=org.headers,
        json={"is_active": False},
    )
    assert (await client.get(f"{base}/capture")).status_code == 404
    await client.put(
        f"/api/funnels/{made['funnel']['id']}", headers=org.headers, json={"is_active": False}
    )
    assert (await client.get(f"{base}/vsl")).status_code == 404
    assert other_slug  # (another organization's session works; its funnels are its own)
    assert (await client.get(f"/f/_status/{uuid.uuid4()}")).status_code == 404


async def test_vsl_page_embeds_the_video_with_a_delayed_call_to_action(client, databases):
    org, _, made, base = await setup_shop(client, databases)
    vsl = made["steps"]["vsl"]
    await client.put(
        f"/api/funnels/{made['funnel']['id']}/steps/{vsl['id']}",
        headers=org.headers,
        json={"settings": {"cta_delay_seconds": 90}},
    )
    html = (await client.get(f"{base}/vsl")).text
    assert (
        'id="vsl-video" src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ'
        '?rel=0&amp;enablejsapi=1&amp;origin=http%3A//testserver"'
    ) in html
    assert page_config(html)["video"] == {
        "provider": "youtube",
        "origin": "https://www.youtube-nocookie.com",
        "label": "dQw4w9WgXcQ",
    }
    assert f'class="btn delayed" style="animation-delay:90s" href="{base}/checkout"' in html


async def test_consent_and_custom_snippets(client, databases):
    org, domain, made, base = await setup_shop(
        client, databases, settings={"require_consent": True}
    )
    snippet = "<script>window.customPixel=1</script>"
    await b.add_pixel(
        client, org, made["funnel"]["id"], pixel_type="custom", pixel_id="hotjar", snippet=snippet
    )
    html = (await client.get(f"{base}/capture")).text
    assert f'data-site="{domain["site_key"]}" data-require-consent' in html
    assert page_config(html)["consent"] is True
    assert 'id="consent-ok"' in html
    assert f'<template id="rastro-custom">{snippet}</template>' in html


async def test_previews_render_unsaved_content_without_tracking(client, databases):
    org, _, made, _ = await setup_shop(client, databases)
    funnel_id = made["funnel"]["id"]
    capture = made["steps"]["capture"]
    url = f"/api/funnels/{funnel_id}/steps/{capture['id']}/preview"
    response = await client.post(
        url, headers=org.headers, json={"content": {"headline": "Rascunho <i>novo</i>"}}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-security-policy"] == "sandbox"
    assert "Rascunho &lt;i&gt;novo&lt;/i&gt;" in response.text
    assert "/t.js" not in response.text
    assert page_config(response.text)["pixels"] == []
    # Nothing was saved.
    steps = (await client.get(f"/api/funnels/{funnel_id}/steps", headers=org.headers)).json()
    assert steps[0]["content"]["headline"] == b.CONTENT["capture"]["headline"]
    # Invalid content is the same 422 as on saving.
    response = await client.post(url, headers=org.headers, json={"content": {}})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == "body.content.headline"

    checkout = made["steps"]["checkout"]
    preview = f"/api/checkout/{funnel_id}/{checkout['id']}/preview"
    response = await client.post(
        preview, headers=org.headers, json={"product_name": "Mentoria", "product_price": "1497.00"}
    )
    assert response.status_code == 200
    assert "R$ 1.497,00" in response.text
    assert "Mentoria" in response.text
    response = await client.post(
        preview, headers=org.headers, json={"product_name": "X", "product_price": "0"}
    )
    assert response.status_code == 422
    response = await client.post(
        f"/api/checkout/{funnel_id}/{capture['id']}/preview",
        headers=org.headers,
        json={"product_name": "X", "product_price": "1.00"},
    )
    assert response.status_code == 422
    other = await f.make_org(client, databases)
    assert (await client.post(url, headers=other.headers, json={})).status_code == 404
