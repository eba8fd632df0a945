"""The ad spend API: accounts scoped to the organization (foreign credentials 422, foreign
accounts 404), a backfill queued and run by the worker with its progress logged, spend
rows with current names, and the CSV upload's preview, mapping and row errors."""

from __future__ import annotations

import json
from datetime import date, timedelta

from tests.analytics.spend_helpers import add_account, add_credential, spend_org, stored
from tests.fakes.ad_reporting import AdCatalog
from tests.fakes.tiktok_reporting import FakeTikTokReporting
from tests.helpers import drain_jobs

TOKEN = "tiktok-fake-advertiser-token-01"
ADVERTISER = "7012345678901234567"


def multipart(fields: dict[str, str], content: bytes) -> tuple[bytes, str]:
    boundary = "rastro-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="spend.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(
        parts
    ) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


async def post_csv(client, org, path, content: bytes, **fields: str):
    body, content_type = multipart(fields, content)
    return await client.post(
        f"/api/analytics/spend/{path}",
        headers={**org.headers, "content-type": content_type},
        content=body,
    )


async def test_accounts_are_scoped_and_checked(client, databases):
    org = await spend_org(client, databases)
    other = await spend_org(client, databases)
    foreign = await add_credential(client, other, "tiktok_ads", "http://127.0.0.1:9", TOKEN)
    response = await client.post(
        "/api/analytics/spend/accounts",
        headers=org.headers,
        json={
            "platform": "tiktok",
            "account_id": ADVERTISER,
            "credential_id": foreign,
            "timezone": "America/Sao_Paulo",
            "currency": "BRL",
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_reference"
    mine = await add_credential(client, org, "meta_ads", "http://127.0.0.1:9", "EAAB-x")
    wrong = await client.post(
        "/api/analytics/spend/accounts",
        headers=org.headers,
        json={
            "platform": "tiktok",
            "account_id": ADVERTISER,
            "credential_id": mine,
            "timezone": "Mars/Olympus",
            "currency": "brl",
        },
    )
    assert wrong.status_code == 422
    locs = {str(d["loc"]).split(".")[-1] for d in wrong.json()["error"]["details"]}
    assert {"timezone", "currency"} <= locs
    not_for_tiktok = await client.post(
        "/api/analytics/spend/accounts",
        headers=org.headers,
        json={
            "platform": "tiktok",
            "account_id": ADVERTISER,
            "credential_id": mine,
            "timezone": "America/Sao_Paulo",
            "currency": "BRL",
        },
    )
    assert not_for_tiktok.status_code == 422
    account = await add_account(client, org, "meta", "act_123", mine)
    again = await client.post(
        "/api/analytics/spend/accounts",
        headers=org.headers,
        json={
            "platform": "meta",
            "account_id": "act_123",
            "credential_id": mine,
            "timezone": "America/Sao_Paulo",
            "currency": "BRL",
        },
    )
    assert again.status_code == 409
    assert (await client.get("/api/analytics/spend/accounts", headers=other.headers)).json() == []
    for method, path in (("delete", ""), ("post", "/backfill")):
        kwargs = {"json": {"months": 1}} if method == "post" else {}
        foreign_call = await getattr(client, method)(
            f"/api/analytics/spend/accounts/{account['id']}{path}", headers=other.headers, **kwargs
        )
        assert foreign_call.status_code == 404, foreign_call.text
    bad_months = await client.post(
        f"/api/analytics/spend/accounts/{account['id']}/backfill",
        headers=org.headers,
        json={"months": 14},
    )
    assert bad_months.status_code == 422
    assert (
        await client.delete(f"/api/analytics/spend/accounts/{account['id']}", headers=org.headers)
    ).status_code == 204
    assert (await client.get("/api/analytics/spend/accounts", headers=org.headers)).json() == []


async def test_backfill_runs_in_the_worker_with_progress_and_rows(client, databases, settings):
    fake = FakeTikTokReporting(TOKEN, ADVERTISER, AdCatalog(ads=4)).start()
    try:
        org = await spend_org(client, databases)
        credential = await add_credential(client, org, "tiktok_ads", fake.url, TOKEN)
        account = await add_account(client, org, "tiktok", ADVERTISER, credential)
        response = await client.post(
            f"/api/analytics/spend/accounts/{account['id']}/backfill",
            headers=org.headers,
            json={"months": 2},
        )
        assert response.status_code == 202, response.text
        queued = response.json()
        assert queued["status"] == "queued"
        assert 58 <= queued["days_total"] <= 63
        await drain_jobs(settings, databases, queues=["spend"])
        runs = (await client.get("/api/analytics/spend/imports", headers=org.headers)).json()
        run = runs["items"][0]
        assert run["status"] == "succeeded", run
        assert run["days_done"] == run["days_total"] == queued["days_total"]
        assert run["rows"] == 4 * queued["days_total"]
        assert run["duration_ms"] is not None
        assert len(await stored(databases, org)) == run["rows"]
        day = date.fromisoformat(queued["date_to"])
        page = (
            await client.get(
                "/api/analytics/spend",
                headers=org.headers,
                params={"date_from": day.isoformat(), "date_to": day.isoformat(), "page_size": 10},
            )
        ).json()
        assert page["total"] == 4
        first = page["items"][0]
        assert first["ad_name"].startswith("Ad ")
        assert first["campaign_name"].startswith("Campaign")
        assert first["currency"] == "BRL"
        assert first["timezone"] == "America/Sao_Paulo"
        other = await spend_org(client, databases)
        theirs = (
            await client.get(
                "/api/analytics/spend",
                headers=other.headers,
                params={"date_from": day.isoformat(), "date_to": day.isoformat()},
            )
        ).json()
        assert theirs["total"] == 0
        reversed_range = await client.get(
            "/api/analytics/spend",
            headers=org.headers,
            params={"date_from": day.isoformat(), "date_to": (day - timedelta(days=1)).isoformat()},
        )
        assert reversed_range.status_code == 422
    finally:
        fake.stop()


CSV = (
    b"Date;Campaign;Ad name;Amount spent;Currency;Impressions\n"
    b"2026-11-01;Pins Nov;Pin A;10,50;BRL;1000\n"
    b"02/11/2026;Pins Nov;Pin A;1.234,56;USD;2000\n"
    b"2026-11-01;Pins Nov;Pin A;11,00;BRL;1100\n"
)


async def test_csv_preview_mapping_duplicates_and_currencies(client, databases):
    org = await spend_org(client, databases)
    preview = await post_csv(client, org, "csv/preview", CSV)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["columns"] == [
        "Date",
        "Campaign",
        "Ad name",
        "Amount spent",
        "Currency",
        "Impressions",
    ]
    assert body["delimiter"] == ";"
    assert body["row_count"] == 3
    mapping = body["suggested_mapping"]
    assert mapping == {
        "day": "Date",
        "campaign_name": "Campaign",
        "ad_name": "Ad name",
        "spend": "Amount spent",
        "currency": "Currency",
        "impressions": "Impressions",
    }
    done = await post_csv(client, org, "csv", CSV, mapping=json.dumps(mapping), source="pinterest")
    assert done.status_code == 201, done.text
    run = done.json()
    assert (run["kind"], run["platform"], run["rows"]) == ("csv", "pinterest", 2)
    assert "row 2" in run["errors"][0]["message"]  # the same ad and day: one row, the last
    rows = await stored(databases, org)
    assert [(str(r.day), str(r.spend), r.currency, r.impressions) for r in rows] == [
        ("2026-11-01", "11.000000", "BRL", 1100),
        ("2026-11-02", "1234.560000", "USD", 2000),  # kept in its own currency
    ]
    # importing the same file again changes nothing
    await post_csv(client, org, "csv", CSV, mapping=json.dumps(mapping), source="pinterest")
    assert len(await stored(databases, org)) == 2


async def test_csv_row_errors_and_bad_mappings_are_422(client, databases):
    org = await spend_org(client, databases)
    bad = (
        b"day,campaign,spend,impressions\n"
        b"2026-13-01,C,10,5\n"
        b"2026-11-02,C,-3,5\n"
        b"2026-11-03,C,abc,5\n"
        b"2026-11-04,,1,2.5\n"
        b"2026-11-05,C,1,1\n"
    )
    mapping = {
        "day": "day",
        "campaign_name": "campaign",
        "spend": "spend",
        "impressions": "impressions",
    }
    response = await post_csv(client, org, "csv", bad, mapping=json.dumps(mapping), currency="BRL")
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert {(d["row"], d["message"]) for d in details} >= {
        (2, "not a date (YYYY-MM-DD or DD/MM/YYYY)"),
        (3, "negative"),
        (4, "not a number"),
        (5, "required"),
        (5, "not a whole number"),
    }
    assert all(d["row"] != 6 for d in details)
    assert await stored(databases, org) == []
    unknown = await post_csv(
        client, org, "csv", bad, mapping=json.dumps({**mapping, "spend": "Cost"}), currency="BRL"
    )
    assert unknown.status_code == 422
    assert any(d["type"] == "unknown_column" for d in unknown.json()["error"]["details"])
    no_currency = await post_csv(client, org, "csv", bad, mapping=json.dumps(mapping))
    assert no_currency.status_code == 422
    not_json = await post_csv(client, org, "csv", bad, mapping="{day")
    assert not_json.status_code == 422
    not_multipart = await client.post(
        "/api/analytics/spend/csv", headers=org.headers, json={"file": "x"}
    )
    assert not_multipart.status_code == 422
    empty = await post_csv(client, org, "csv/preview", b"")
    assert empty.status_code == 422
