"""The free text and documents that quote a person hold no raw e-mail or phone at rest in
either database: a lead's custom form fields and qualification answers (its metadata), a
contact's metadata, notes, tasks, deals' names, stage-change reasons, the timeline entries
that quote them, a checkout's typed contact and its abandoned-checkout case, an open
data-subject request and a finished export's document. Each is still read in the clear
through the API (the request's identifiers by an administrator)."""

from __future__ import annotations

from datetime import timedelta

from rastro.funnels.recovery.models import RecoveryCheckoutStart
from tests.auth.factories import auth_headers
from tests.crm.capture_setup import capture_form, post_capture
from tests.funnels.payments import factories as f
from tests.funnels.recovery import factories as r
from tests.funnels.recovery.test_starts import LEFT, _start
from tests.helpers import drain_jobs
from tests.plaintext_scan import plaintext_hits

FORM_EMAIL, FORM_PHONE = "outra.pessoa@recado.com.br", "977776666"
CONTACT_EMAIL = "contato.meta@cliente.com.br"
NOTE_EMAIL = "nota.citada@cliente.com.br"
TASK_PHONE = "966665555"
DEAL_EMAIL = "negocio.nome@cliente.com.br"
REASON_PHONE = "955554444"
CHECKOUT_EMAIL, CHECKOUT_PHONE = "maria.checkout@example.com", "944443333"
REQUEST_EMAIL, REQUEST_PHONE = "titular.pedido@example.com", "933332222"
CAPTURED_EMAIL = "joao.silva@empresa.com.br"  # the captured lead's, in the export

NEEDLES = [
    FORM_EMAIL,
    FORM_PHONE,
    "97777-6666",
    CONTACT_EMAIL,
    NOTE_EMAIL,
    TASK_PHONE,
    "96666-5555",
    DEAL_EMAIL,
    REASON_PHONE,
    "95555-4444",
    CHECKOUT_EMAIL,
    CHECKOUT_PHONE,
    REQUEST_EMAIL,
    REQUEST_PHONE,
    CAPTURED_EMAIL,
    "987654321",  # the captured lead's phone digits
]


async def _ok(response, status=201):
    assert response.status_code == status, response.text
    return response.json()


async def test_free_text_and_documents_are_encrypted_at_rest(
    client, databases, settings, test_databases
):
    shop = await r.make_shop(client, databases)
    site, headers = shop.site, shop.org.headers
    lead = await _ok(
        await post_capture(
            client,
            capture_form(
                site,
                contato_alternativo=FORM_EMAIL,
                telefone_recado="(11) 97777-6666",
                qualification={"melhor_horario": "ligar no (11) 97777-6666"},
            ),
        )
    )
    lead_id = lead["lead_id"]
    contact = await _ok(
        await client.post(
            "/api/contacts",
            headers=headers,
            json={"name": "Bia", "metadata": {"alternativo": CONTACT_EMAIL}},
        )
    )
    await _ok(
        await client.post(
            "/api/notes",
            headers=headers,
            json={"lead_id": lead_id, "body": f"Pediu resposta em {NOTE_EMAIL}"},
        )
    )
    await _ok(
        await client.post(
            "/api/tasks",
            headers=headers,
            json={
                "lead_id": lead_id,
                "title": "Ligar (11) 96666-5555",
                "description": "Recado: 11 96666-5555",
            },
        )
    )
    deal = await _ok(
        await client.post(
            "/api/deals",
            headers=headers,
            json={"name": f"Proposta {DEAL_EMAIL}", "lead_id": lead_id},
        )
    )
    await _ok(
        await client.post(
            f"/api/leads/{lead_id}/stages",
            headers=headers,
            json={"stage_name": "qualified", "reason": "Retorno no 11 95555-4444"},
        )
    )
    # A checkout's typed contact, left without a charge: a start, then its case.
    await r.visit(client, shop, LEFT, r.landing("natal"))
    _url, _token, started = await _start(
        client, shop, LEFT, name="Maria", email=CHECKOUT_EMAIL, phone="11944443333"
    )
    assert started.status_code == 204, started.text
    (start,) = await f.rows(databases, shop.org, RecoveryCheckoutStart)
    (found,) = await r.detect(databases, settings, start.updated_at + timedelta(minutes=31))
    # An open request, and a finished export of the captured lead.
    admin = await auth_headers(client, site.account)
    pending = await _ok(
        await client.post(
            "/api/privacy/requests",
            headers=admin,
            json={"kind": "erase", "email": REQUEST_EMAIL, "phone": "+55 11 93333-2222"},
        )
    )
    export = await _ok(
        await client.post(
            "/api/privacy/requests", headers=admin, json={"kind": "export", "email": CAPTURED_EMAIL}
        )
    )
    await _ok(
        await client.post(f"/api/privacy/requests/{export['request_id']}/run", headers=admin), 200
    )
    await drain_jobs(settings, databases)

    server = test_databases.server
    for name in (test_databases.crm_name, test_databases.bi_name):
        assert plaintext_hits(server.superuser_conninfo(name), NEEDLES) == [], name

    # Read back in the clear through the API.
    detail = await _ok(await client.get(f"/api/leads/{lead_id}", headers=headers), 200)
    assert detail["lead"]["metadata"]["form"]["contato_alternativo"] == FORM_EMAIL
    assert detail["lead"]["metadata"]["qualification"] == {
        "melhor_horario": "ligar no (11) 97777-6666"
    }
    assert [n["body"] for n in detail["notes"]] == [f"Pediu resposta em {NOTE_EMAIL}"]
    assert any(DEAL_EMAIL in a["summary"] for a in detail["activities"])
    stages = await _ok(await client.get(f"/api/leads/{lead_id}/stages", headers=headers), 200)
    assert "Retorno no 11 95555-4444" in [s["reason"] for s in stages]
    assert (await _ok(await client.get(f"/api/deals/{deal['deal_id']}", headers=headers), 200))[
        "name"
    ] == f"Proposta {DEAL_EMAIL}"
    tasks = await _ok(await client.get(f"/api/tasks?lead_id={lead_id}", headers=headers), 200)
    assert [t["description"] for t in tasks["items"]] == ["Recado: 11 96666-5555"]
    again = await _ok(
        await client.get(f"/api/contacts/{contact['contact_id']}", headers=headers), 200
    )
    assert again["contact"]["metadata"] == {"alternativo": CONTACT_EMAIL}
    (case,) = [c for c in await r.cases(databases, shop.org) if c.id == found.case_id]
    assert case.contact["email"] == CHECKOUT_EMAIL
    shown = await _ok(
        await client.get(f"/api/privacy/requests/{pending['request_id']}", headers=admin), 200
    )
    assert (shown["email"], shown["phone"]) == (REQUEST_EMAIL, "+5511933332222")
    document = await _ok(
        await client.get(f"/api/privacy/requests/{export['request_id']}/export", headers=admin),
        200,
    )
    assert document["subject"]["email"] == CAPTURED_EMAIL
