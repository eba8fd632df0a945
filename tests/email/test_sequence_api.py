"""The sequences' API: bad input answers 4xx with the error envelope and the field named,
ids are the organization's, the status machine holds, steps are edited and removed; and
the PIX recovery trigger, through the payments' own listener."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from rastro.core.db import Scope
from rastro.funnels.payments.models import Payment
from rastro.funnels.payments.schemas import PaymentStatusChanged
from rastro.funnels.payments.service import hooks as payment_hooks
from tests.crm.factories import make_leads
from tests.email.conftest import get, post
from tests.email.sequence_helpers import T0, activate, enrollments, sequence, step
from tests.email.test_sequences import _enroll

BASE = "/api/email/sequences"


async def test_bad_input_gets_a_4xx_with_the_field(client, org, other_org) -> None:
    no_stage = await client.post(
        BASE,
        json={"name": "X", "trigger": "stage_changed", "from_name": "L", "from_address": "a@b.co"},
        headers=org.headers,
    )
    assert no_stage.status_code == 422
    assert no_stage.json()["error"]["details"][0]["loc"] == "body.trigger_stage"
    bad_address = await client.post(
        BASE,
        json={"name": "X", "trigger": "lead_created", "from_name": "L", "from_address": "nope"},
        headers=org.headers,
    )
    assert bad_address.status_code == 422
    sid = (await sequence(client, org))["sequence_id"]
    for body in (
        {"subject": "S", "html": "<p>x</p>", "wait_minutes": -5},
        {"subject": "S", "html": "<p>x</p>", "condition": {"kind": "weather"}},
        {"subject": "S", "html": "<p>x</p>", "condition": {"kind": "stage", "stages": []}},
        {"subject": "S", "html": "<p>x</p>", "otherwise": "goto"},
    ):
        answer = await client.post(f"{BASE}/{sid}/steps", json=body, headers=org.headers)
        assert answer.status_code == 422, body
        assert answer.json()["error"]["code"] == "validation_error"
    no_content = await client.post(
        f"{BASE}/{sid}/steps", json={"subject": "S"}, headers=org.headers
    )
    assert no_content.json()["error"]["details"][0]["loc"] == "body.html"
    foreign = await post(
        client, other_org, "/templates", {"name": "T", "subject": "S", "html": "<p>x</p>"}
    )
    stolen = await client.post(
        f"{BASE}/{sid}/steps", json={"template_id": foreign["template_id"]}, headers=org.headers
    )
    assert stolen.status_code == 422
    assert stolen.json()["error"]["code"] == "unknown_reference"
    for method, path in (
        ("GET", f"{BASE}/{sid}"),
        ("GET", f"{BASE}/{sid}/report"),
        ("GET", f"{BASE}/{sid}/enrollments"),
        ("POST", f"{BASE}/{sid}/activate"),
        ("DELETE", f"{BASE}/{sid}"),
    ):
        answer = await client.request(method, path, headers=other_org.headers)
        assert answer.status_code == 404, path
        assert answer.json()["error"]["code"] == "sequence_not_found"
    unknown_step = await client.delete(f"{BASE}/{sid}/steps/{uuid.uuid4()}", headers=org.headers)
    assert unknown_step.json()["error"]["code"] == "sequence_step_not_found"


async def test_status_machine_and_step_edits(client, org, databases) -> None:
    template = await post(
        client, org, "/templates", {"name": "T", "subject": "Do modelo", "html": "<p>Oi</p>"}
    )
    sid = (await sequence(client, org))["sequence_id"]
    empty = await client.post(f"{BASE}/{sid}/activate", headers=org.headers)
    assert (empty.status_code, empty.json()["error"]["code"]) == (422, "sequence_not_ready")
    paused = await client.post(f"{BASE}/{sid}/pause", headers=org.headers)
    assert paused.status_code == 409
    assert paused.json()["error"]["details"] == {"from": "draft", "to": "paused"}
    first = await step(client, org, sid, subject="Primeiro")
    second = await post(
        client,
        org,
        f"/sequences/{sid}/steps",
        {"template_id": template["template_id"], "wait_minutes": 90},
    )
    assert (second["subject"], second["position"], second["html"]) == ("Do modelo", 2, "<p>Oi</p>")
    edited = await client.put(
        f"{BASE}/{sid}/steps/{second['step_id']}",
        json={
            "subject": "Editado",
            "html": '<a href="https://loja.com.br/novo">novo</a>',
            "wait_minutes": 120,
            "condition": {"kind": "score", "grades": ["A", "B"]},
            "otherwise": "exit",
        },
        headers=org.headers,
    )
    assert edited.status_code == 200
    assert edited.json()["condition"] == {"kind": "score", "grades": ["A", "B"]}
    removed = await client.delete(f"{BASE}/{sid}/steps/{first['step_id']}", headers=org.headers)
    assert removed.status_code == 204
    shown = await get(client, org, f"/sequences/{sid}")
    assert [(s["position"], s["subject"], s["wait_minutes"]) for s in shown["steps"]] == [
        (1, "Editado", 120)
    ]
    sender = await post(client, org, "/senders", {"name": "Simulado", "kind": "simulated"})
    renamed = await client.put(
        f"{BASE}/{sid}",
        json={
            "name": "Boas-vindas 2",
            "trigger": "lead_created",
            "from_name": "Loja Nova",
            "from_address": "Oi@Loja.com.br",
            "sender_id": sender["sender_id"],
        },
        headers=org.headers,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["from_address"] == "oi@loja.com.br"
    assert [s["sender_id"] for s in renamed.json()["steps"]] == [sender["sender_id"]]
    await activate(client, org, sid)
    again = await client.post(f"{BASE}/{sid}/activate", headers=org.headers)
    assert again.json()["error"]["code"] == "invalid_sequence_transition"
    assert (await post(client, org, f"/sequences/{sid}/pause"))["status"] == "paused"
    assert (await post(client, org, f"/sequences/{sid}/activate"))["status"] == "active"

    (lead,) = await make_leads(databases, org.id, 1)
    await _enroll(databases, org, [lead.lead_id])
    listed = await get(client, org, f"/sequences/{sid}/enrollments?status=active")
    assert listed["total"] == 1
    assert (listed["items"][0]["email"], listed["items"][0]["position"]) == (lead.email, 1)
    assert (await get(client, org, f"/sequences/{sid}/enrollments?status=exited"))["total"] == 0
    blocked = await client.delete(f"{BASE}/{sid}", headers=org.headers)
    assert blocked.status_code == 409
    enrollment_id = listed["items"][0]["enrollment_id"]
    ended = await post(client, org, f"/sequences/{sid}/enrollments/{enrollment_id}/exit")
    assert (ended["status"], ended["exit_reason"]) == ("exited", "manual")
    overview = await get(client, org, "/sequences")
    assert [(s["sequence_id"], s["active_enrollments"]) for s in overview] == [(sid, 0)]

    spare = (await sequence(client, org, name="Rascunho"))["sequence_id"]
    await step(client, org, spare, subject="Nada")
    assert (await client.delete(f"{BASE}/{spare}", headers=org.headers)).status_code == 204


async def test_an_unpaid_pix_enrolls_its_buyer_and_payment_ends_it(client, org, databases) -> None:
    sid = (await sequence(client, org, trigger="pix_unpaid", trigger_minutes=30))["sequence_id"]
    await step(client, org, sid, subject="Seu PIX está esperando", wait_minutes=5)
    await activate(client, org, sid)
    scope = Scope.organization(org.id)
    ids = []
    for email in ("comprador@cliente.com.br", "outro@cliente.com.br", None):
        async with databases.crm.transaction(scope) as crm:
            payment = Payment(
                gateway="static_pix",
                amount=Decimal("97.00"),
                customer_data={"email": email, "name": "Ana"} if email else {"name": "Sem"},
                txid=uuid.uuid4().hex,
            )
            crm.add(payment)
            await crm.flush()
            change = PaymentStatusChanged(
                payment_id=payment.id,
                organization_id=org.id,
                funnel_id=None,
                step_id=None,
                session_id=None,
                previous=None,
                status="pending",
                amount=payment.amount,
                currency="BRL",
                changed_at=T0,
            )
            await payment_hooks.notify(crm, change)
            await payment_hooks.notify(crm, change)  # told twice: enrolled once
            ids.append(payment.id)
    state = await enrollments(databases, org)
    assert len(state) == 2  # the buyer without an address enrolls nowhere
    assert {e.next_run_at for e in state.values()} == {T0 + timedelta(minutes=35)}
    assert {e.source_ref for e in state.values()} == {str(ids[0]), str(ids[1])}
    async with databases.crm.transaction(scope) as crm:
        paid = PaymentStatusChanged(
            payment_id=ids[0],
            organization_id=org.id,
            funnel_id=None,
            step_id=None,
            session_id=None,
            previous="pending",
            status="paid",
            amount=Decimal("97.00"),
            currency="BRL",
            changed_at=T0 + timedelta(minutes=10),
        )
        await payment_hooks.notify(crm, paid)
    after = {e.source_ref: e for e in (await enrollments(databases, org)).values()}
    assert (after[str(ids[0])].status, after[str(ids[0])].exit_reason) == ("exited", "paid")
    assert after[str(ids[1])].status == "active"
