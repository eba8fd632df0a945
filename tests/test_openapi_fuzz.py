"""A bounded schemathesis run over the whole OpenAPI document (web/openapi.json, which
tests/core/test_web.py keeps equal to the running code's), against the real server on
127.0.0.1 and the test PostgreSQL, signed in with a token from the real login: every
operation gets a few generated requests, and every check schemathesis has must pass
(no 5xx first of all). One test per operation; tables are emptied between them."""

from __future__ import annotations

from typing import Any

import pytest_asyncio
import schemathesis
from schemathesis.config import SchemathesisConfig

from rastro.config import REPO_ROOT
from tests.auth.factories import auth_headers, make_account
from tests.conftest import LiveServer

MAX_EXAMPLES = 4
REQUEST_TIMEOUT = 10

schema = schemathesis.openapi.from_path(
    REPO_ROOT / "web" / "openapi.json",
    config=SchemathesisConfig.from_dict(
        {
            "suppress-health-check": ["all"],
            "request-timeout": REQUEST_TIMEOUT,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
            # Schema-valid requests may still break rules JSON Schema cannot say (no NUL
            # character in text, an id that must exist in the organization, a contact needs
            # an e-mail, a phone or a name): those answer 400/422 with the field named.
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "422"]
                }
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": False},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
        }
    ),
)


@pytest_asyncio.fixture(loop_scope="session")
async def bearer(client, databases) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An admin of a fresh organization."""
    return await auth_headers(client, await make_account(databases))


@schema.parametrize()
def test_every_operation_keeps_its_contract(
    case: Any, live_server: LiveServer, bearer: dict[str, str]
) -> None:
    case.call_and_validate(base_url=live_server.base_url, headers=bearer)
