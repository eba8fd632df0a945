"""A CRM credential whose API key HTTP headers cannot carry (non-ASCII) fails its test
send with a clear message, never a 500."""

from __future__ import annotations

import pytest

from tests.auth.factories import auth_headers, make_account
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.rdstation import FakeRdStation
from tests.integrations.push_factories import make_credential, make_destination

TOKEN = "pat-na1-0123456789abcdef0123"


@pytest.mark.parametrize(
    ("service", "fake_class"), [("hubspot", FakeHubSpot), ("rdstation", FakeRdStation)]
)
async def test_a_non_ascii_api_key_fails_the_test_send_cleanly(
    client, databases, service, fake_class
):
    fake = fake_class(TOKEN).start()
    try:
        headers = await auth_headers(client, await make_account(databases))
        credential = await make_credential(
            client, headers, service, fake.url, api_key="“" + TOKEN + "”", api_secret="s" * 16
        )
        destination = await make_destination(client, headers, service, credential)
        response = await client.post(
            f"/api/crm/destinations/{destination['destination_id']}/test", headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["ok"] is False
        assert "ASCII" in body["error"]
        assert TOKEN not in response.text
    finally:
        fake.stop()
