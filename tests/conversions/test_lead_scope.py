"""Conversions see leads only through the CRM's service, scoped to the caller's
organization: another organization's lead cannot get a conversion, nor match a filter."""

from __future__ import annotations

from tests.conversions.factories import create_conversion, make_lead, make_org


async def test_another_organizations_lead_is_not_found(client, databases):
    mine = await make_org(client, databases, None)
    theirs = await make_org(client, databases, None)
    own_lead = await make_lead(databases, mine, campaign="spring", name="Ana")
    their_lead = await make_lead(databases, theirs, campaign="spring")
    await create_conversion(client, theirs, their_lead)

    refused = await client.post(
        "/api/conversions",
        headers=mine.headers,
        json={"lead_id": str(their_lead), "conversion_value": "250.00"},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["details"][0]["loc"] == "lead_id"

    created = await create_conversion(client, mine, own_lead)
    assert (created["lead_name"], created["campaign"]) == ("Ana", "spring")
    listed = await client.get(
        "/api/conversions", headers=mine.headers, params={"campaign": "spring"}
    )
    assert listed.status_code == 200, listed.text
    assert [item["lead_id"] for item in listed.json()["items"]] == [str(own_lead)]
    assert listed.json()["total"] == 1
