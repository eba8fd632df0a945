"""Which click each platform gets for a conversion, and which touch's UTMs travel with it.

The credited touch decides *reporting* (the lead's source, medium and campaign); it does
not decide what each platform receives. A person may come from a Meta ad and return days
later through a Google ad: Google must still get the gclid. So, at each send, every
platform gets the newest click id **of that platform** found in the person's whole journey
(every touch of every browser stitched to the lead's contact, up to the conversion time),
with that click's own time:

- Google: gclid, else gbraid, else wbraid of the touch (one click id per conversion);
- Meta: the touch's `fbc` (when it names the touch's fbclid, or the touch has no fbclid:
  a cookie from an earlier Meta click, timed by the creation time inside it), else its
  fbclid (the connector builds `fbc` from it and the click time); `fbp`, the browser id,
  from that touch or else the newest touch that has one;
- TikTok: ttclid; LinkedIn: li_fat_id.

The newest is the only candidate worth checking: if it is outside the platform's
attribution window or age limit, every older one is too, and the delivery expires with
that click named. A conversion whose lead has no journey in the BI database (created by
the API for an untracked lead, or its touches pruned) keeps the click its credited touch
had, copied on the conversion at creation.

UTMs (item "one touch per postback"): an order postback carries utm_source, medium,
campaign, content, term, src and sck all from the credited touch — never some from one
visit and the rest from another.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.conversions.connectors.base import ConversionRecord
from rastro.conversions.models import OfflineConversion
from rastro.core.db import Scope
from rastro.core.units import TransactionBoundary
from rastro.crm.service import journey
from rastro.tracking.service import conversions as tracked

# Each ad platform's click ids, in order of precedence within one touch.
PLATFORM_CLICK_IDS: dict[str, tuple[str, ...]] = {
    "google": ("gclid", "gbraid", "wbraid"),
    "meta": ("fbc", "fbclid"),
    "tiktok": ("ttclid",),
    "linkedin": ("li_fat_id",),
}
# The fields of one touch an order postback carries (UTMify's trackingParameters).
TRACKING_FIELDS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "src",
    "sck",
)
_TOUCH_FIELDS = (
    *TRACKING_FIELDS,
    *PLATFORM_CLICK_IDS["google"],
    *PLATFORM_CLICK_IDS["meta"],
    "fbp",
    *PLATFORM_CLICK_IDS["tiktok"],
    *PLATFORM_CLICK_IDS["linkedin"],
)


@dataclass(frozen=True)
class JourneyTouch:
    """One stored touch of the person (a `utm_tracking` row): its time and its fields."""

    tracking_id: uuid.UUID | None
    at: datetime
    fields: dict[str, str]

    @classmethod
    def of_row(cls, row: Row[Any]) -> JourneyTouch:
        """A row of `tracking.service.conversions.touchpoints`."""
        fields = {name: str(value) for name in _TOUCH_FIELDS if (value := getattr(row, name, None))}
        return cls(tracking_id=row.tracking_id, at=row.created_at, fields=fields)


@dataclass(frozen=True)
class PlatformClick:
    """The click one platform gets: whose touch, when, which id, and the touch's UTMs."""

    platform: str
    clicked_at: datetime | None
    click_ids: dict[str, str]
    tracking_id: uuid.UUID | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    credited: bool = False  # the click of the credited touch (the one reporting uses)

    @property
    def click_id_type(self) -> str | None:
        """The id the platform matches on (Meta: fbc, built from the fbclid if needed)."""
        for name in PLATFORM_CLICK_IDS.get(self.platform, ()):
            if self.click_ids.get(name):
                return name
        return None

    def as_json(self) -> dict[str, Any]:
        """As `offline_conversion_syncs.click` keeps it (and the API shows it)."""
        kind = self.click_id_type
        return {
            "tracking_id": str(self.tracking_id) if self.tracking_id else None,
            "clicked_at": self.clicked_at.isoformat() if self.clicked_at else None,
            "click_id_type": kind,
            "click_id": self.click_ids.get(kind) if kind else None,
            "utm_source": self.utm_source,
            "utm_medium": self.utm_medium,
            "utm_campaign": self.utm_campaign,
            "credited": self.credited,
        }


def fbc_time(fbc: str) -> datetime | None:
    """The creation time inside an `fbc` (`fb.<index>.<epoch ms>.<fbclid>`), if readable."""
    parts = fbc.split(".")
    if len(parts) < 4 or not parts[2].isdigit():
        return None
    try:
        return datetime.fromtimestamp(int(parts[2]) / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _touch_click(platform: str, touch: JourneyTouch) -> tuple[datetime, dict[str, str]] | None:
    """The platform's click on this touch, if any: its time and ids."""
    fields = touch.fields
    if platform == "meta":
        fbclid, fbc = fields.get("fbclid"), fields.get("fbc")
        if fbclid:
            # A cookie naming another fbclid is an older click: the URL's is this one.
            if fbc and fbc.split(".")[-1] == fbclid:
                return touch.at, {"fbclid": fbclid, "fbc": fbc}
            return touch.at, {"fbclid": fbclid}
        if fbc:
            at = fbc_time(fbc)
            return (at if at is not None and at <= touch.at else touch.at), {"fbc": fbc}
        return None
    for name in PLATFORM_CLICK_IDS.get(platform, ()):
        if fields.get(name):
            return touch.at, {name: fields[name]}
    return None


def _click_on(
    platform: str,
    at: datetime,
    ids: dict[str, str],
    touch: JourneyTouch,
    credited_id: uuid.UUID | None,
) -> PlatformClick:
    fields = touch.fields
    tracking_id = touch.tracking_id
    return PlatformClick(
        platform=platform,
        clicked_at=at,
        click_ids=ids,
        tracking_id=tracking_id,
        utm_source=fields.get("utm_source"),
        utm_medium=fields.get("utm_medium"),
        utm_campaign=fields.get("utm_campaign"),
        credited=tracking_id is not None and tracking_id == credited_id,
    )


def newest_click(
    platform: str,
    touches: Sequence[JourneyTouch],
    *,
    until: datetime,
    credited_id: uuid.UUID | None = None,
) -> PlatformClick | None:
    """The newest click of `platform` among the touches up to `until` (None if none)."""
    best: tuple[datetime, dict[str, str], JourneyTouch] | None = None
    for touch in touches:
        if touch.at > until:
            continue
        found = _touch_click(platform, touch)
        if found is not None and (best is None or found[0] >= best[0]):
            best = (found[0], found[1], touch)
    if best is None:
        return None
    return _click_on(platform, best[0], best[1], best[2], credited_id)


def _fbp(
    touches: Sequence[JourneyTouch], chosen: PlatformClick | None, until: datetime
) -> str | None:
    if chosen is not None:
        for touch in touches:
            if touch.tracking_id == chosen.tracking_id and touch.fields.get("fbp"):
                return touch.fields["fbp"]
    dated = [t for t in touches if t.at <= until and t.fields.get("fbp")]
    return max(dated, key=lambda t: t.at).fields["fbp"] if dated else None


def tracking_of_touch(touch: JourneyTouch) -> dict[str, str]:
    """The UTMs, src and sck of one touch (all of them from it)."""
    return {name: touch.fields[name] for name in TRACKING_FIELDS if touch.fields.get(name)}


def for_platform(
    record: ConversionRecord,
    platform: str,
    touches: Sequence[JourneyTouch],
    *,
    credited_id: uuid.UUID | None,
) -> tuple[ConversionRecord, PlatformClick | None]:
    """The record as `platform` must get it: that platform's click from the journey (with
    its time) and the credited touch's UTMs; plus the click used, to show. Without a
    journey, the credited click copied on the conversion."""
    if not touches:
        return record, stored_click(record, platform, credited_id=credited_id)
    credited = next((t for t in touches if t.tracking_id == credited_id), None)
    tracking = tracking_of_touch(credited) if credited is not None else record.tracking
    if platform not in PLATFORM_CLICK_IDS:
        return replace(record, tracking=tracking), None
    click = newest_click(platform, touches, until=record.conversion_date, credited_id=credited_id)
    ids = dict(click.click_ids) if click else {}
    if platform == "meta" and (fbp := _fbp(touches, click, record.conversion_date)):
        ids["fbp"] = fbp
    return (
        replace(
            record,
            click_ids=ids,
            clicked_at=click.clicked_at if click else None,
            tracking=tracking,
        ),
        click,
    )


def stored_click(
    record: ConversionRecord, platform: str, *, credited_id: uuid.UUID | None
) -> PlatformClick | None:
    """The platform's click among the credited touch's ids copied on the conversion."""
    names = PLATFORM_CLICK_IDS.get(platform, ())
    ids = {name: record.click_ids[name] for name in names if record.click_ids.get(name)}
    if not ids:
        return None
    return PlatformClick(
        platform=platform,
        clicked_at=record.clicked_at,
        click_ids=ids,
        tracking_id=credited_id,
        utm_source=record.tracking.get("utm_source"),
        utm_medium=record.tracking.get("utm_medium"),
        utm_campaign=record.tracking.get("utm_campaign"),
        credited=True,
    )


async def journeys(
    bi: TransactionBoundary,
    crm: AsyncSession,
    organization_id: uuid.UUID,
    conversions: Iterable[OfflineConversion],
) -> dict[uuid.UUID, list[JourneyTouch]]:
    """Per conversion, every touch of its person up to the conversion time, oldest first
    (one CRM and one BI query for the whole batch); empty for leads never tracked."""
    wanted = list(conversions)
    visitors = await journey.visitor_ids_of(crm, {c.lead_id for c in wanted})
    people = {
        c.conversion_id: (visitors.get(c.lead_id, []), c.conversion_date)
        for c in wanted
        if visitors.get(c.lead_id)
    }
    if not people:
        return {}
    async with bi.unit(Scope.organization(organization_id)) as session:
        found = await tracked.touchpoints(session, people)
    return {key: [JourneyTouch.of_row(row) for row in rows] for key, rows in found.items()}


_RECORD_CLICKS = text(
    """
    UPDATE offline_conversion_syncs AS delivery SET click = NULLIF(chosen.click, 'null'::jsonb)
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS chosen(conversion_id uuid, click jsonb)
    WHERE delivery.platform = :platform
      AND delivery.conversion_id = chosen.conversion_id
      AND delivery.click IS DISTINCT FROM NULLIF(chosen.click, 'null'::jsonb)
    """
)


async def record_clicks(
    session: AsyncSession, platform: str, chosen: dict[uuid.UUID, PlatformClick | None]
) -> None:
    """Keep on each delivery the click it was resolved with (one statement)."""
    if not chosen:
        return
    rows = [
        {"conversion_id": str(cid), "click": click.as_json() if click else None}
        for cid, click in chosen.items()
    ]
    await session.execute(
        _RECORD_CLICKS, {"rows": orjson.dumps(rows).decode(), "platform": platform}
    )
