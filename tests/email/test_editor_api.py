"""What the dashboard's e-mail pages need beyond the core API: one template, deleting it,
previews with merge fields escaped, deleting an audience, and a campaign's landing page,
template and period checked when edited."""

from __future__ import annotations

import uuid

from rastro.core.db import Scope
from rastro.email.service import aggregates
from tests.email.conftest import (
    HTML,
    campaign,
    clicks_stored,
    contacts,
    get,
    post,
    static_audience,
)
from tests.email.test_tracking import _sent_campaign, _token

TEMPLATE = {
    "name": "Boas-vindas",
    "subject": "Oi {{ first_name }}",
    "html": "<p>Olá {{ name }} de {{ attributes.cidade }}</p>"
    '<a href="https://loja.com.br/x">Ver</a> {{ desconto }} '
    '<a href="{{ unsubscribe_url }}">Sair</a>',
    "text": "Olá {{ name }} ({{ email }})",
}


async def test_one_template_read_and_deleted_campaigns_keep_their_copy(client, org, other_org):
    template = await post(client, org, "/templates", TEMPLATE)
    path = f"/api/email/templates/{template['template_id']}"
    assert (await get(client, org, f"/templates/{template['template_id']}"))["html"] == (
        TEMPLATE["html"]
    )
    foreign = await client.get(path, headers=other_org.headers)
    assert foreign.status_code == 404
    assert (await client.delete(path, headers=other_org.headers)).status_code == 404
    made = await campaign(client, org, [], template_id=template["template_id"], html=None)
    assert (await client.delete(path, headers=org.headers)).status_code == 204
    assert (await client.get(path, headers=org.headers)).status_code == 404
    kept = await get(client, org, f"/campaigns/{made['campaign_id']}")
    assert (kept["template_id"], kept["html"]) == (None, TEMPLATE["html"])
    assert (await client.delete(path, headers=org.headers)).status_code == 404


async def test_preview_escapes_a_recipients_fields_and_lists_them(client, org, other_org):
    evil = "<img src=x onerror=alert(1)>"
    ids = await contacts(
        client, org, ["ana@cliente.com.br"], name=evil, attributes={"cidade": "Recife & Olinda"}
    )
    body = {**{k: TEMPLATE[k] for k in ("subject", "html", "text")}}
    sample = await post(client, org, "/preview", body)
    assert sample["recipient"] == "maria.silva@exemplo.com.br"
    assert sample["subject"] == "Oi Maria"
    assert "Olá Maria Silva de São Paulo" in sample["html"]
    assert 'href="#unsubscribe"' in sample["html"]
    assert sample["fields"] == [
        "first_name",
        "name",
        "attributes.cidade",
        "desconto",
        "unsubscribe_url",
        "email",
    ]
    assert sample["unknown_fields"] == ["desconto"]

    mine = await post(client, org, "/preview", {**body, "contact_id": ids["ana@cliente.com.br"]})
    assert evil not in mine["html"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in mine["html"]
    assert "Recife &amp; Olinda" in mine["html"]
    assert mine["text"] == f"Olá {evil} (ana@cliente.com.br)"  # text is plain
    assert mine["subject"] == "Oi <img"

    foreign = await client.post(
        "/api/email/preview",
        json={**body, "contact_id": ids["ana@cliente.com.br"]},
        headers=other_org.headers,
    )
    assert foreign.status_code == 422
    assert foreign.json()["error"]["code"] == "unknown_reference"

    template = await post(client, org, "/templates", TEMPLATE)
    saved = await post(client, org, f"/templates/{template['template_id']}/preview")
    assert saved["html"] == sample["html"]
    for_ana = await post(
        client,
        org,
        f"/templates/{template['template_id']}/preview",
        {"contact_id": ids["ana@cliente.com.br"]},
    )
    assert for_ana["html"] == mine["html"]
    elsewhere = await client.post(
        f"/api/email/templates/{template['template_id']}/preview",
        json={},
        headers=other_org.headers,
    )
    assert elsewhere.status_code == 404


async def test_an_audience_is_deleted_only_when_no_campaign_reaches_it(client, org, other_org):
    ids = await contacts(client, org, ["b@cliente.com.br"])
    unused = await static_audience(client, org, list(ids.values()), name="Antiga")
    used = await static_audience(client, org, list(ids.values()), name="Clientes")
    await campaign(client, org, [used])
    foreign = await client.delete(f"/api/email/audiences/{unused}", headers=other_org.headers)
    assert foreign.status_code == 404
    refused = await client.delete(f"/api/email/audiences/{used}", headers=org.headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "audience_in_use"
    assert refused.json()["error"]["details"] == {"campaigns": 1}
    gone = await client.delete(f"/api/email/audiences/{unused}", headers=org.headers)
    assert gone.status_code == 204
    left = await get(client, org, "/audiences")
    assert [a["name"] for a in left] == ["Clientes"]
    assert (await get(client, org, "/contacts"))["total"] == 1


async def _landing_page(client, org, url: str) -> str:  # type: ignore[no-untyped-def]
    domain = await client.post(
        "/api/domains", headers=org.headers, json={"domain_url": "https://loja.com.br"}
    )
    assert domain.status_code == 201, domain.text
    page = await client.post(
        "/api/landing-pages",
        headers=org.headers,
        json={"domain_id": domain.json()["domain_id"], "page_url": url, "page_name": "Oferta"},
    )
    assert page.status_code == 201, page.text
    return str(page.json()["page_id"])


async def test_campaign_edits_check_landing_page_template_and_period(client, org, other_org):
    mine = await _landing_page(client, org, "https://loja.com.br/oferta")
    theirs = await _landing_page(client, other_org, "https://loja.com.br/deles")
    their_template = await post(client, other_org, "/templates", TEMPLATE)
    refused = await client.post(
        "/api/email/campaigns",
        headers=org.headers,
        json={
            "name": "X",
            "subject": "S",
            "from_name": "Loja",
            "from_address": "news@loja.com.br",
            "html": HTML,
            "landing_page_id": theirs,
        },
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["field"] == "body.landing_page_id"
    made = await campaign(client, org, [])
    path = f"/api/email/campaigns/{made['campaign_id']}"
    for body, field in (
        ({"landing_page_id": theirs}, "body.landing_page_id"),
        ({"landing_page_id": str(uuid.uuid4())}, "body.landing_page_id"),
        ({"template_id": their_template["template_id"]}, "body.template_id"),
    ):
        response = await client.patch(path, json=body, headers=org.headers)
        assert response.status_code == 422, body
        assert response.json()["error"]["details"]["field"] == field
    backwards = await client.patch(
        path,
        json={"starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"},
        headers=org.headers,
    )
    assert backwards.status_code == 422
    assert backwards.json()["error"]["details"][0]["loc"] == "body.ends_at"
    naive = await client.patch(
        path,
        json={"starts_at": "2030-01-01T00:00:00", "ends_at": "2030-01-02T00:00:00Z"},
        headers=org.headers,
    )
    assert naive.status_code == 422
    assert naive.json()["error"]["details"][0]["loc"] == "body.starts_at"
    changed = await client.patch(
        path,
        json={
            "landing_page_id": mine,
            "utm_source": "boletim",
            "starts_at": "2030-01-01T00:00:00Z",
            "ends_at": "2030-01-02T00:00:00Z",
            "utm_campaign": None,
        },
        headers=org.headers,
    )
    assert changed.status_code == 200, changed.text
    saved = changed.json()
    assert (saved["landing_page_id"], saved["utm_source"]) == (mine, "boletim")
    assert saved["starts_at"].startswith("2030-01-01")
    nulled = await client.patch(path, json={"utm_source": None}, headers=org.headers)
    assert nulled.json()["utm_source"] == "boletim"
    # Only the end changes: checked against the start already stored.
    earlier = await client.patch(
        path, json={"ends_at": "2029-12-31T00:00:00Z"}, headers=org.headers
    )
    assert earlier.status_code == 422


async def test_campaign_figures_match_each_report(app, client, org, other_org, settings, databases):
    sent, ids, messages = await _sent_campaign(
        client, org, settings, databases, ["c@cliente.com.br", "d@cliente.com.br"]
    )
    report = await get(client, org, f"/campaigns/{sent['campaign_id']}/report")
    link = report["links"][0]["link_id"]
    address = {contact_id: email for email, contact_id in ids.items()}
    clicked = await client.get(f"/e/c/{_token(settings, org, messages[0], 'c', link)}")
    assert clicked.status_code == 302
    lead = await client.post(
        "/api/leads",
        json={"email": address[str(messages[0].contact_id)], "name": "C"},
        headers=org.headers,
    )
    assert lead.status_code in (200, 201), lead.text
    won = await client.post(
        f"/api/leads/{lead.json()['lead_id']}/stages",
        json={"stage_name": "won", "stage_value": "250.50"},
        headers=org.headers,
    )
    assert won.status_code == 201, won.text
    draft = await campaign(client, org, [], name="Rascunho")
    await clicks_stored(app)
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        await aggregates.refresh_daily(bi, campaign_id=uuid.UUID(sent["campaign_id"]))
    report = await get(client, org, f"/campaigns/{sent['campaign_id']}/report")
    figures = await get(client, org, "/campaign-figures")
    assert [f["campaign_id"] for f in figures] == [draft["campaign_id"], sent["campaign_id"]]
    empty, done = figures
    assert empty["sent"] == empty["leads"] == 0
    assert empty["revenue"] == []
    assert {k: done[k] for k in done if k != "campaign_id"} == {
        k: report[k] for k in done if k != "campaign_id"
    }
    assert (done["sent"], done["unique_clicks"], done["leads"], done["won_leads"]) == (2, 1, 1, 1)
    assert done["revenue"] == [{"currency": None, "amount": "250.50"}]
    assert await get(client, other_org, "/campaign-figures") == []
