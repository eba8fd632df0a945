"""The live events the Overview refreshes on: a captured lead is announced to its
organization once (a duplicate submission is not a new lead)."""

from __future__ import annotations

from tests.tracking.factories import ORIGIN, make_site


async def test_a_new_lead_is_announced_once_and_its_duplicate_not(client, databases, app):
    published: list[tuple[str, str, dict]] = []

    class Hub:
        async def publish(self, organization_id, name, data):
            published.append((str(organization_id), name, data))

    site = await make_site(client, databases)
    form = {
        "site": site.key,
        "name": "Ana",
        "email": "ana@example.com.br",
        "page_url": f"{ORIGIN}/form",
    }
    app.state.live = Hub()
    try:
        first = await client.post("/api/leads", json=form, headers={"origin": ORIGIN})
        again = await client.post("/api/leads", json=form, headers={"origin": ORIGIN})
        refused = await client.post(
            "/api/leads", json={**form, "email": "not-an-email"}, headers={"origin": ORIGIN}
        )
    finally:
        del app.state.live
    assert first.status_code == 201, first.text
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert refused.status_code == 422
    assert published == [
        (str(site.account.organization_id), "lead_created", {"lead_id": first.json()["lead_id"]})
    ]
