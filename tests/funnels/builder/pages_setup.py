"""The public pages' tests' shop: an organization with a static PIX key, a domain and a
full funnel on it; and what the tests read of a rendered page (its config, its form token)."""

from __future__ import annotations

import json
import re

from tests.funnels.builder import factories as b
from tests.funnels.payments import factories as f

SESSION = "k3v9q2m8x1c4p7r0s5t6u2w9"
VISITOR = "a1b2c3d4e5f6g7h8i9j0k1l2"


async def setup_shop(client, databases, **funnel):
    """(org, domain, funnel and steps, the steps' public base path)."""
    org = await f.make_org(client, databases)
    await f.add_static_pix(client, org)
    domain = await client.post(
        "/api/domains",
        headers=org.headers,
        json={
            "domain_url": "https://loja.example.com",
            "allowed_origins": ["https://loja.example.com", "http://testserver"],
        },
    )
    assert domain.status_code == 201, domain.text
    made = await b.full_funnel(
        client, org, slug="oferta", domain_id=domain.json()["domain_id"], **funnel
    )
    base = made["steps"]["capture"]["public_path"].rsplit("/", 1)[0]
    return org, domain.json(), made, base


def page_config(html: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="rastro-page">(.*?)</script>', html, re.S
    )
    assert match, "no page config"
    return json.loads(match.group(1))


def form_token(html: str) -> str:
    match = re.search(r'name="token" value="([0-9a-f]{32})"', html)
    assert match
    return match.group(1)
