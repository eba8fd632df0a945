"""A data subject's offline conversions (the privacy module's export and erasure): the
conversions of their leads, their per-platform sync state and the sync log. Erasure keeps
the conversion (value, date, name: reports do not move) and drops the click ids, the
matched click, and the payloads sent to and received from the platforms (which carry the
person's hashed e-mail and phone)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.conversions.models import ConversionSync, OfflineConversion, PlatformSyncLog
from rastro.core.subjects import ErasedCounts, SubjectRows, rows_where


async def _conversion_ids(session: AsyncSession, lead_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    if not lead_ids:
        return []
    found = await session.scalars(
        select(OfflineConversion.conversion_id).where(OfflineConversion.lead_id.in_(lead_ids))
    )
    return list(found)


async def subject_data(session: AsyncSession, *, lead_ids: Sequence[uuid.UUID]) -> SubjectRows:
    """The conversions of the person's leads, their syncs and sync log."""
    ids = await _conversion_ids(session, lead_ids)
    if not ids:
        return {}
    return {
        "offline_conversions": await rows_where(
            session, OfflineConversion.__table__, OfflineConversion.conversion_id.in_(ids)
        ),
        "offline_conversion_syncs": await rows_where(
            session, ConversionSync.__table__, ConversionSync.conversion_id.in_(ids)
        ),
        "platform_sync_log": await rows_where(
            session, PlatformSyncLog.__table__, PlatformSyncLog.conversion_id.in_(ids)
        ),
    }


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def erase_subject(session: AsyncSession, *, lead_ids: Sequence[uuid.UUID]) -> ErasedCounts:
    """Drop click ids and platform payloads of the person's conversions."""
    ids = await _conversion_ids(session, lead_ids)
    if not ids:
        return {}
    conversions = await session.execute(
        update(OfflineConversion)
        .where(OfflineConversion.conversion_id.in_(ids))
        .values(
            gclid=None,
            gbraid=None,
            wbraid=None,
            fbclid=None,
            fbc=None,
            fbp=None,
            ttclid=None,
            li_fat_id=None,
            msclkid=None,
            original_tracking_id=None,
        )
    )
    syncs = await session.execute(
        update(ConversionSync).where(ConversionSync.conversion_id.in_(ids)).values(click=None)
    )
    log = await session.execute(
        update(PlatformSyncLog)
        .where(PlatformSyncLog.conversion_id.in_(ids))
        .values(request_payload={}, response_data={})
    )
    return {
        "offline_conversions": _rowcount(conversions),
        "offline_conversion_syncs": _rowcount(syncs),
        "platform_sync_log": _rowcount(log),
    }


# Why a platform's copy is not deleted (none of these has a call to delete the user data
# of conversions already sent; checked in their API references, December 2026).
_PLATFORM_ERASURE = {
    "meta": (
        "Meta's Conversions API has no call to delete events already sent about a person "
        "(its data deletion callback is for apps that use Facebook Login); Meta keeps them "
        "under its own retention. Nothing more is sent about this person."
    ),
    "google": (
        "Google Ads can retract a conversion's value (conversion adjustments) but has no call "
        "to delete the hashed user data uploaded with it. Nothing more is sent about this "
        "person."
    ),
}
_DEFAULT_ERASURE = (
    "This platform has no call to delete conversion data already sent. Nothing more is sent "
    "about this person."
)


async def platforms_sent(session: AsyncSession, *, lead_ids: Sequence[uuid.UUID]) -> dict[str, str]:
    """The ad platforms the person's conversions were sent to, each with why its copy
    cannot be deleted from here (for the erasure's proof)."""
    ids = await _conversion_ids(session, lead_ids)
    if not ids:
        return {}
    platforms = await session.scalars(
        select(ConversionSync.platform)
        .where(ConversionSync.conversion_id.in_(ids), ConversionSync.sent_at.is_not(None))
        .distinct()
    )
    return {platform: _PLATFORM_ERASURE.get(platform, _DEFAULT_ERASURE) for platform in platforms}
