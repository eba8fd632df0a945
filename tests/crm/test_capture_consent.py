"""The person's consent stored with the lead (issue 22): from the tracker's hidden
`rastro_consent` field or a server's `consent` object; a site whose domain requires
consent and sends none stores the lead as not consenting; a site that does not ask
stores nothing."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from rastro.core.db import Scope
from rastro.crm.models import Lead
from tests.tracking.factories import ORIGIN, Site, make_site
from tests.tracking.test_consent_mode import _require_consent

NONE = {"analytics": False, "ad_user_data": False, "ad_personalization": False}


async def _capture(client, site: Site, **fields) -> uuid.UUID:
    response = await client.post(
        "/api/leads",
        headers={"origin": ORIGIN},
        json={"site": site.key, "email": f"{uuid.uuid4().hex[:8]}@empresa.com.br", **fields},
    )
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["lead_id"])


async def _consent(databases, site: Site, lead_id: uuid.UUID):
    async with databases.crm.transaction(Scope.organization(site.account.organization_id)) as s:
        lead = await s.scalar(select(Lead).where(Lead.lead_id == lead_id))
        assert lead is not None
        return lead.metadata_.get("consent")


async def test_consent_is_stored_with_the_lead(client, databases):
    site = await make_site(client, databases)
    unasked = await _capture(client, site)
    assert await _consent(databases, site, unasked) is None
    from_form = await _capture(client, site, rastro_consent="analytics,ad_user_data")
    assert await _consent(databases, site, from_form) == {
        "analytics": True,
        "ad_user_data": True,
        "ad_personalization": False,
    }
    from_server = await _capture(client, site, consent={"analytics": True})
    assert (await _consent(databases, site, from_server))["ad_user_data"] is False

    await _require_consent(client, site)
    silent = await _capture(client, site)
    assert await _consent(databases, site, silent) == NONE
    granted = await _capture(
        client, site, rastro_consent="analytics,ad_user_data,ad_personalization"
    )
    assert set((await _consent(databases, site, granted)).values()) == {True}


async def test_a_malformed_consent_is_a_422_naming_the_field(client, databases):
    site = await make_site(client, databases)
    response = await client.post(
        "/api/leads",
        headers={"origin": ORIGIN},
        json={"site": site.key, "email": "a@empresa.com.br", "rastro_consent": "everything"},
    )
    assert response.status_code == 422, response.text
    assert "consent" in response.text
