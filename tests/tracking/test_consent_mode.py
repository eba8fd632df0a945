"""A domain's consent mode (issue 22): `required` puts `data-require-consent` in the
snippet and makes the collector refuse events sent without consent to analytics; the
consent the tracker sends is stored with the session; `off` (the default) changes
nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from rastro.core.db import Scope
from rastro.tracking.models import TrackedSession
from rastro.tracking.service.consent import ad_consent_denied, parse_consent
from tests.tracking.factories import Site, batch, collect, event, make_site


async def _require_consent(client, site: Site) -> dict[str, Any]:
    metadata = {**site.domain["metadata"]}
    metadata["settings"] = {**metadata.get("settings", {}), "consent_mode": "required"}
    response = await client.patch(
        f"/api/domains/{site.domain['domain_id']}",
        headers=site.headers,
        json={"metadata": metadata},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _sessions(databases, site: Site) -> list[TrackedSession]:
    async with databases.bi.transaction(Scope.organization(site.account.organization_id)) as bi:
        return list(await bi.scalars(select(TrackedSession)))


async def test_required_mode_refuses_events_without_consent(client, databases):
    site = await make_site(client, databases)
    assert "data-require-consent" not in site.domain["snippet"]
    domain = await _require_consent(client, site)
    assert domain["metadata"]["settings"]["consent_mode"] == "required"
    assert domain["snippet"].endswith(" data-require-consent></script>")

    refused = await collect(client, batch(site, [event()]))
    assert refused.status_code == 200, refused.text
    body = refused.json()
    assert body["accepted"] == 0
    assert {r["reason"] for r in body["results"]} == {"no_consent"}
    denied = batch(site, [event()], session_id="s_" + "d" * 22)
    denied["context"]["consent"] = {"analytics": False, "ad_user_data": True}
    assert (await collect(client, denied)).json()["accepted"] == 0
    assert await _sessions(databases, site) == []

    given = batch(site, [event()], session_id="s_" + "g" * 22)
    given["context"]["consent"] = {"analytics": True, "ad_user_data": True}
    assert (await collect(client, given)).json()["accepted"] == 1
    (stored,) = await _sessions(databases, site)
    assert stored.metadata_["consent"] == {
        "analytics": True,
        "ad_user_data": True,
        "ad_personalization": False,
    }


async def test_off_mode_keeps_collecting_and_stores_a_plain_consent(client, databases):
    site = await make_site(client, databases)
    assert (await collect(client, batch(site, [event()]))).json()["accepted"] == 1
    legacy = batch(site, [event()], session_id="s_" + "l" * 22)
    legacy["context"]["consent"] = True  # the tracker's `rastro.consent(true)`
    assert (await collect(client, legacy)).json()["accepted"] == 1
    consents = {
        s.session_id[:3]: s.metadata_.get("consent") for s in await _sessions(databases, site)
    }
    assert sorted(consents.values(), key=str) == [
        None,
        {"analytics": True, "ad_user_data": True, "ad_personalization": True},
    ]


def test_consent_parsing():
    assert parse_consent("analytics,ad_user_data") == {
        "analytics": True,
        "ad_user_data": True,
        "ad_personalization": False,
    }
    assert parse_consent("none") == dict.fromkeys(
        ("analytics", "ad_user_data", "ad_personalization"), False
    )
    assert parse_consent(False) == parse_consent("none")
    assert parse_consent("analytics,tracking") is None  # an unknown purpose
    assert parse_consent("") is None
    assert parse_consent(3) is None
    assert parse_consent({"ad_user_data": "yes"})["ad_user_data"] is False  # only true grants
    assert ad_consent_denied(None) is False
    assert ad_consent_denied({"analytics": True}) is True
    assert ad_consent_denied(parse_consent(True)) is False
