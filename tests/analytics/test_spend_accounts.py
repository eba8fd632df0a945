"""The ad accounts list shows each account's newest import run (its status and errors)."""

from __future__ import annotations

from tests.analytics.spend_helpers import add_account, add_credential, spend_org


async def test_accounts_show_their_newest_import_run(client, databases):
    org = await spend_org(client, databases)
    credential = await add_credential(client, org, "meta_ads", "http://127.0.0.1:9", "EAAB-x")
    first = await add_account(client, org, "meta", "act_1", credential)
    await add_account(client, org, "meta", "act_2", credential)
    for months in (1, 3):
        queued = await client.post(
            f"/api/analytics/spend/accounts/{first['id']}/backfill",
            headers=org.headers,
            json={"months": months},
        )
        assert queued.status_code == 202
    newest = queued.json()
    accounts = (await client.get("/api/analytics/spend/accounts", headers=org.headers)).json()
    runs = {a["account_id"]: a["last_run"] for a in accounts}
    assert runs["act_2"] is None
    assert runs["act_1"]["id"] == newest["id"]
    assert runs["act_1"]["status"] == "queued"
