"""Inbound CRM webhooks that cannot be applied: unmapped stages and unknown records land in
the review list, are resolved or dismissed; stage mappings are validated and admin-only."""

from __future__ import annotations

from decimal import Decimal

from tests.auth.factories import auth_headers, make_account
from tests.integrations.webhook_setup import (
    HUBSPOT_SECRET,
    add_credential,
    hubspot_event,
    lead_state,
    make_lead,
    make_org,
    post_hubspot,
)


async def test_unmapped_stages_and_unknown_records_land_in_review_and_can_be_resolved(
    client, databases
):
    org = await make_org(client, databases)
    await add_credential(client, org, "hubspot_webhook", HUBSPOT_SECRET)
    known = await make_lead(databases, org, email="known@cliente.com.br", external_id="500")
    orphan_target = await make_lead(databases, org, email="later@cliente.com.br")

    response = await post_hubspot(
        client,
        org,
        [
            hubspot_event(1, 500, "dealstage", "1234567"),  # a custom pipeline stage
            hubspot_event(2, 600, "amount", "800"),
            hubspot_event(3, 600, "dealstage", "closedwon"),  # a deal we do not know
        ],
    )
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["review", "ignored", "review"]
    assert results[0]["reason"] == "unmapped_stage: 1234567"
    assert results[2]["reason"] == "unknown_record"
    assert (await lead_state(databases, org, known)).lead.current_stage == "new"

    review = await client.get("/api/crm/webhook-deliveries?status=review", headers=org.headers)
    assert review.status_code == 200
    assert review.json()["total"] == 2
    by_event = {d["external_event_id"]: d for d in review.json()["items"]}
    unknown_id = by_event["3"]["delivery_id"]
    unmapped_id = by_event["1"]["delivery_id"]
    assert by_event["3"]["record_id"] == "600"

    resolved = await client.post(
        f"/api/crm/webhook-deliveries/{unknown_id}/resolve",
        headers=org.headers,
        json={"action": "apply", "lead_id": str(orphan_target)},
    )
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["status"], resolved.json()["lead_id"]) == (
        "applied",
        str(orphan_target),
    )
    state = await lead_state(databases, org, orphan_target)
    assert state.lead.current_stage == "won"
    assert state.stages[0].stage_value == Decimal("800.00")
    assert state.deals[0].external_id == "600"
    again = await client.post(
        f"/api/crm/webhook-deliveries/{unknown_id}/resolve",
        headers=org.headers,
        json={"action": "dismiss"},
    )
    assert again.status_code == 409

    # The deal is now linked: the record's next event finds the lead on its own.
    follow_up = await post_hubspot(client, org, [hubspot_event(4, 600, "dealstage", "closedlost")])
    assert follow_up.json()["results"][0]["status"] == "applied"
    assert (await lead_state(databases, org, orphan_target)).lead.current_stage == "lost"

    needs_stage = await client.post(
        f"/api/crm/webhook-deliveries/{unmapped_id}/resolve",
        headers=org.headers,
        json={"action": "apply", "lead_id": str(known)},
    )
    assert needs_stage.status_code == 422
    with_stage = await client.post(
        f"/api/crm/webhook-deliveries/{unmapped_id}/resolve",
        headers=org.headers,
        json={"action": "apply", "lead_id": str(known), "stage": "negotiation"},
    )
    assert with_stage.status_code == 200
    assert (await lead_state(databases, org, known)).lead.current_stage == "negotiation"
    empty = await client.get("/api/crm/webhook-deliveries?status=review", headers=org.headers)
    assert empty.json()["total"] == 0

    # Another organization sees none of it.
    other = await make_org(client, databases)
    foreign = await client.post(
        f"/api/crm/webhook-deliveries/{unmapped_id}/resolve",
        headers=other.headers,
        json={"action": "dismiss"},
    )
    assert foreign.status_code == 404
    listed = await client.get("/api/crm/webhook-deliveries", headers=other.headers)
    assert listed.json()["total"] == 0


async def test_a_fixed_mapping_applies_on_resolve_and_dismiss_closes_an_item(client, databases):
    org = await make_org(client, databases)
    await add_credential(client, org, "hubspot_webhook", HUBSPOT_SECRET)
    lead_id = await make_lead(databases, org, email="c@cliente.com.br", external_id="700")
    await post_hubspot(client, org, [hubspot_event(10, 700, "dealstage", "custom-proposal")])
    await post_hubspot(client, org, [hubspot_event(11, 999, "dealstage", "closedwon")])
    items = (
        await client.get("/api/crm/webhook-deliveries?status=review", headers=org.headers)
    ).json()["items"]
    by_event = {d["external_event_id"]: d["delivery_id"] for d in items}

    await client.put(
        "/api/crm/stage-mappings",
        headers=org.headers,
        json={"mappings": {"hubspot": {"custom-proposal": "proposal"}}},
    )
    applied = await client.post(
        f"/api/crm/webhook-deliveries/{by_event['10']}/resolve",
        headers=org.headers,
        json={"action": "apply", "lead_id": str(lead_id)},
    )
    assert applied.json()["status"] == "applied"
    assert (await lead_state(databases, org, lead_id)).lead.current_stage == "proposal"

    dismissed = await client.post(
        f"/api/crm/webhook-deliveries/{by_event['11']}/resolve",
        headers=org.headers,
        json={"action": "dismiss"},
    )
    assert dismissed.json()["status"] == "dismissed"
    statuses = await client.get("/api/crm/webhook-deliveries", headers=org.headers)
    assert sorted(d["status"] for d in statuses.json()["items"]) == ["applied", "dismissed"]


async def test_stage_mappings_are_validated_and_admin_only(client, databases):
    org = await make_org(client, databases)
    defaults = (await client.get("/api/crm/stage-mappings", headers=org.headers)).json()
    assert defaults["effective"]["hubspot"]["closedwon"] == "won"
    assert defaults["mappings"] == {}
    bad_stage = await client.put(
        "/api/crm/stage-mappings",
        headers=org.headers,
        json={"mappings": {"hubspot": {"x": "sold"}}},
    )
    bad_provider = await client.put(
        "/api/crm/stage-mappings",
        headers=org.headers,
        json={"mappings": {"salesforce": {"x": "won"}}},
    )
    assert (bad_stage.status_code, bad_provider.status_code) == (422, 422)

    analyst = await make_account(databases, role="analyst", organization_id=org.id)
    headers = await auth_headers(client, analyst)
    for method, path in (
        ("GET", "/api/crm/stage-mappings"),
        ("GET", "/api/crm/webhook-deliveries"),
        ("POST", "/api/crm/webhooks/rotate-token"),
    ):
        assert (await client.request(method, path, headers=headers)).status_code == 403
