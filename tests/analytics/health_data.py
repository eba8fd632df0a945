"""A small crafted dataset for tracking health and alerts: spend on a day, visits that reach
some of it, leads with and without a session (figures computed by hand in the tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from rastro.core.db import Scope
from rastro.tracking.models import UtmTracking
from tests.analytics.factories import Visit, add_visits, refresh
from tests.analytics.join_data import ad_row, lead_on, store_spend, touch
from tests.crm.factories import make_leads
from tests.tracking.factories import Site, make_site

ZONE = ZoneInfo("America/Sao_Paulo")
BF = ("111", "Black Friday")
RETARGET = ("333", "Retargeting")
BRAND = ("222", "Search Brand")


def local_today() -> date:
    return datetime.now(UTC).astimezone(ZONE).date()


def earlier_today(hours_ago: float) -> datetime:
    """A moment of the organization's today that is more recent the smaller `hours_ago`
    (0 to 9): a share of the time since local midnight, so early in the local day (UTC's
    evening) it never falls on yesterday, whatever the hour the tests run."""
    start = datetime.combine(local_today(), time(0), tzinfo=ZONE).astimezone(UTC)
    elapsed = datetime.now(UTC) - start
    return start + elapsed * (1 - min(hours_ago, 9) / 10)


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZONE).astimezone(UTC)


@dataclass
class Dataset:
    site: Site
    day: date

    @property
    def org(self):  # type: ignore[no-untyped-def]
        return self.site.account.organization_id


async def health_dataset(client, databases) -> Dataset:  # type: ignore[no-untyped-def]
    """Day D = three days ago. Spend on D: meta 111 (a1 R$ 100, a2 R$ 50), meta 333 (r1
    R$ 30), google 222 (ga1 R$ 200). Sessions on D: v1 Paid Social facebook reaching ad a1
    (utm_content = its id), v2 Paid Search google reaching campaign 222 (utm_id), v3 and v4
    Paid Social facebook with utm_campaign "mystery" (nothing), v5 Organic Search google,
    v6 Direct. Leads on D: one on v1 won R$ 300, two with no session (one won R$ 100)."""
    site = await make_site(client, databases)
    org = site.account.organization_id
    day = local_today() - timedelta(days=3)
    await store_spend(
        databases,
        org,
        "meta",
        "act_1",
        [
            ad_row(day, BF, ("a1", "Video A"), "100", ad_set=("s1", "LAL")),
            ad_row(day, BF, ("a2", "Carousel"), "50", ad_set=("s1", "LAL")),
            ad_row(day, RETARGET, ("r1", "Reminder"), "30", ad_set=("s3", "Visitors")),
        ],
    )
    await store_spend(
        databases,
        org,
        "google",
        "g_1",
        [ad_row(day, BRAND, ("ga1", "Text"), "200", ad_set=("gs1", "Brand"))],
    )
    at = noon(day)
    domain = site.domain["domain_id"]
    v1 = Visit(
        at, "v1", channel="Paid Social", source="facebook", campaign="black friday", content="a1"
    )
    tracking = await touch(databases, org, domain, v1)
    await add_visits(
        databases,
        org,
        domain,
        [
            Visit(at, "v2", channel="Paid Search", source="google", campaign="x", utm_id="222"),
            Visit(at, "v3", channel="Paid Social", source="facebook", campaign="mystery"),
            Visit(at, "v4", channel="Paid Social", source="facebook", campaign="mystery"),
            Visit(
                at, "v5", channel="Organic Search", source="google", medium="organic", campaign=None
            ),
            Visit(at, "v6", channel="Direct", source=None, medium=None, campaign=None),
        ],
    )
    session_id = await _session_of(databases, org, tracking)
    await lead_on(
        databases, org, tracking, "v1", at, stage="won", value="300", session_id=session_id
    )
    await make_leads(
        databases,
        org,
        1,
        stage="won",
        stage_value=Decimal("100"),
        created_at=at,
        channel=None,
        source=None,
        medium=None,
        campaign=None,
    )
    await make_leads(
        databases, org, 1, created_at=at, channel=None, source=None, medium=None, campaign=None
    )
    await refresh(databases, org)
    return Dataset(site, day)


async def _session_of(databases, org, tracking_id) -> str:  # type: ignore[no-untyped-def]
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        found = await bi.scalar(
            select(UtmTracking.session_id).where(UtmTracking.tracking_id == tracking_id)
        )
    assert found is not None
    return str(found)
