"""What the lead capture tests share: a tracked visit, a capture form body, posting it,
and reading rows of either database in the site's organization."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from rastro.core.db import Scope
from tests.tracking.factories import ORIGIN, batch, collect, event

LANDING = f"{ORIGIN}/lp?utm_source=google&utm_medium=cpc&utm_campaign=bf&gclid=TEST123"
SESSION = "s_" + "c" * 22
VISITOR = "v_" + "d" * 22


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def tracked_visit(client, site, *, session_id=SESSION, visitor_id=VISITOR, minutes_ago=5):
    """A visit from a Google Ads click: two page views and a click, `minutes_ago` ago."""
    start = -60 * minutes_ago
    events = [
        event(url=LANDING, referrer="https://www.google.com/", view_id="pv1", offset=start),
        event("click", url=LANDING, view_id="pv1", label="cta", offset=start + 30),
        event(url=f"{ORIGIN}/form", referrer=LANDING, view_id="pv2", offset=start + 60),
        event("page_leave", view_id="pv1", time_on_page=60, exit=False, offset=start + 60),
    ]
    response = await collect(
        client, batch(site, events, session_id=session_id, visitor_id=visitor_id)
    )
    assert response.json()["accepted"] == 4, response.text


def capture_form(target, **fields):
    body = {
        "site": target.key,
        "name": "João Silva",
        "email": "  Joao.Silva@Empresa.com.br ",
        "phone": "(11) 98765-4321",
        "company": "Empresa XYZ",
        "message": "Quero uma proposta",
        "form_location": "lp-hero",
        "page_url": f"{ORIGIN}/form",
        "rastro_session_id": SESSION,
        "rastro_visitor_id": VISITOR,
        "utm_source": "google",
        "utm_campaign": "bf",
        "gclid": "TEST123",
    }
    body.update(fields)
    return body


async def post_capture(client, body, *, origin=ORIGIN, headers=None):
    return await client.post(
        "/api/leads",
        json=body,
        headers={"origin": origin, **(headers or {})} if origin else headers,
    )


async def crm_rows(databases, site, model, *where):
    async with databases.crm.transaction(Scope.organization(site.account.organization_id)) as s:
        return list(await s.scalars(select(model).where(*where)))


async def bi_rows(databases, site, model, *where):
    async with databases.bi.transaction(Scope.organization(site.account.organization_id)) as s:
        return list(await s.scalars(select(model).where(*where)))
