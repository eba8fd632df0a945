"""The organization's public privacy page: server-rendered, in Portuguese or English, with
the retention period; an unknown organization is a 404."""

from __future__ import annotations

from rastro.auth.service import accounts
from rastro.core.db import SYSTEM
from rastro.privacy.service.policy import DEFAULT_RETENTION_MONTHS
from tests.auth.factories import make_account


async def _slug(databases, organization_id):
    async with databases.crm.transaction(SYSTEM) as crm:
        return (await accounts.get_organization(crm, organization_id)).slug


async def test_the_page_says_what_is_kept_and_for_how_long(client, databases):
    admin = await make_account(databases)
    slug = await _slug(databases, admin.organization_id)

    page = await client.get(f"/p/{slug}/privacy")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="pt-BR">' in html
    assert f"Após {DEFAULT_RETENTION_MONTHS} meses" in html
    assert admin.organization_name in html
    assert "15 dias" in html
    assert "<script" not in html

    english = await client.get(f"/p/{slug}/privacy?lang=en")
    assert '<html lang="en">' in english.text
    assert f"After {DEFAULT_RETENTION_MONTHS} months" in english.text
    preferred = await client.get(
        f"/p/{slug}/privacy", headers={"Accept-Language": "en-US,en;q=0.9"}
    )
    assert '<html lang="en">' in preferred.text


async def test_unknown_organization_is_404(client, databases):
    response = await client.get("/p/no-such-org/privacy")
    assert response.status_code == 404
