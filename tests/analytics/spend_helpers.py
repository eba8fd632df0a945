"""Helpers of the ad spend tests: an organization with a credential on a reporting fake
and a configured ad account, import runs driven like the job drives them, the stored rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy import select

from rastro.analytics.ad_models import AdSpendImport, CampaignMetric
from rastro.analytics.service import spend, spend_import
from rastro.analytics.spend import CONNECTORS
from rastro.config import Settings
from rastro.core.db import Databases, Scope
from rastro.core.http import RetryPolicy
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from tests.auth.factories import Account, auth_headers, make_account

FAST = spend_import.ImportConfig(
    timeout=5.0,
    window_attempts=4,
    retry=RetryPolicy(base_delay=0.01, max_delay=0.05),
    http_retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05),
)
CONNECTORS["meta"].poll_seconds = 0.01  # type: ignore[attr-defined]


@dataclass
class SpendOrg:
    account: Account
    headers: dict[str, str]

    @property
    def id(self) -> uuid.UUID:
        return self.account.organization_id


async def spend_org(client: httpx.AsyncClient, databases: Databases) -> SpendOrg:
    account = await make_account(databases)
    return SpendOrg(account, await auth_headers(client, account))


async def add_credential(
    client: httpx.AsyncClient,
    org: SpendOrg,
    service: str,
    url: str,
    api_key: str,
    *,
    api_secret: str | None = None,
    **settings: Any,
) -> str:
    response = await client.post(
        "/api/credentials",
        headers=org.headers,
        json={
            "name": f"{service} reporting",
            "service": service,
            "api_key": api_key,
            "api_secret": api_secret,
            "api_url": url,
            "settings": settings,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def add_account(
    client: httpx.AsyncClient,
    org: SpendOrg,
    platform: str,
    account_id: str,
    credential_id: str,
    *,
    timezone: str = "America/Sao_Paulo",
    currency: str = "BRL",
    **extra: Any,
) -> dict[str, Any]:
    response = await client.post(
        "/api/analytics/spend/accounts",
        headers=org.headers,
        json={
            "platform": platform,
            "account_id": account_id,
            "credential_id": credential_id,
            "timezone": timezone,
            "currency": currency,
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def import_range(
    databases: Databases,
    settings: Settings,
    org: SpendOrg,
    account_id: str,
    first: date,
    last: date,
    *,
    kind: str = "daily",
) -> AdSpendImport:
    """Log a run of the account for `first`..`last` and run it as the job does."""
    scope = Scope.organization(org.id)
    async with databases.bi.transaction(scope) as bi:
        account = await spend.get_account(bi, uuid.UUID(account_id))
        run = await spend.create_import(
            bi,
            kind=kind,
            platform=account.platform,
            account=account,
            date_from=first,
            date_to=last,
        )
    done = await spend_import.run_import(
        TransactionBoundary(databases.crm),
        TransactionBoundary(databases.bi),
        Keyring(settings.encryption_key_value),
        FAST,
        organization_id=org.id,
        import_id=run.id,
    )
    assert done is not None
    return done


async def stored(databases: Databases, org: SpendOrg) -> list[CampaignMetric]:
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        return list(
            await bi.scalars(
                select(CampaignMetric).order_by(CampaignMetric.day, CampaignMetric.ad_id)
            )
        )


def yesterday() -> date:
    return datetime.now(UTC).date()


# Google's OAuth as the spend tests' fake token endpoint knows it.
CLIENT_ID = "1234-fake.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-fake-client-secret-0001"
REFRESH = "1//0fake-refresh-token-abcdef"
ACCESS, ACCESS_2 = "ya29.fake-access-0001", "ya29.fake-access-0002"
