"""A bounded schemathesis run over the whole OpenAPI document (web/openapi.json, which
tests/core/test_web.py keeps equal to the running code's), against the real server on
127.0.0.1 and the test PostgreSQL, signed in with a token from the real login: every
operation gets its documented examples and a few generated requests, valid and invalid,
and every check schemathesis has must pass (no 5xx first of all).

One pytest test per operation, named after it (tables are emptied between them, and
xdist can share them out). The operations are parametrized here rather than with
`schema.parametrize()`, whose items all get the same node id under pytest 9, which xdist
then runs only once."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from rastro.config import REPO_ROOT
from tests.auth.factories import auth_headers, make_account
from tests.conftest import LiveServer

EXAMPLES_PER_OPERATION = 15
REQUEST_TIMEOUT = 10

schema = schemathesis.openapi.from_path(
    REPO_ROOT / "web" / "openapi.json",
    config=SchemathesisConfig.from_dict(
        {
            "request-timeout": REQUEST_TIMEOUT,
            # Schema-valid requests may still break rules JSON Schema cannot say (no NUL
            # character in text, an id that must exist in the organization, a contact needs
            # an e-mail, a phone or a name): those answer 400/422 with the field named. A
            # documented rate limit (the password reset's) answers 429 to repeated requests.
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": [
                        "2xx",
                        "3xx",
                        "400",
                        "401",
                        "403",
                        "404",
                        "409",
                        "422",
                        "429",
                    ]
                }
            },
        }
    ),
)
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


def _cases(operation: Any) -> st.SearchStrategy[Any]:
    """The operation's documented examples, then valid and invalid generated requests."""
    return st.one_of(
        *operation.get_strategies_from_examples(),
        *(operation.as_strategy(generation_mode=mode) for mode in GenerationMode),
    )


@pytest_asyncio.fixture(loop_scope="session")
async def bearer(client, databases) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An admin of a fresh organization."""
    return await auth_headers(client, await make_account(databases))


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_every_operation_keeps_its_contract(
    operation: Any, live_server: LiveServer, bearer: dict[str, str]
) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_cases(operation))
    def call(case: Any) -> None:
        case.call_and_validate(base_url=live_server.base_url, headers=bearer)

    call()
