"""What one sync batch changes, written in bulk when the batch ends: the deliveries, each
conversion's `sync_status` map and the `platform_sync_log` rows."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from sqlalchemy import Text, cast, func, literal, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.conversions.models import ConversionSync, OfflineConversion
from rastro.conversions.reasons import code_of

# The log rows of a batch in one statement with one parameter: a thousand rows through the
# ORM, or as a multi-row VALUES with twelve thousand parameters, took most of a batch's
# time (bench/README.md, "Draining offline conversions"). COPY is not an option: the
# table has row-level security.
_INSERT_LOG = text(
    """
    INSERT INTO platform_sync_log (
        sync_id, organization_id, conversion_id, platform, batch_id, attempt, sync_status,
        request_payload, response_data, error_message, http_status_code, synced_at)
    SELECT sync_id, organization_id, conversion_id, platform, batch_id, attempt,
           sync_status, request_payload, response_data, error_message, http_status_code,
           synced_at
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS row(
        sync_id uuid, organization_id uuid, conversion_id uuid, platform text,
        batch_id uuid, attempt int, sync_status text, request_payload jsonb,
        response_data jsonb, error_message text, http_status_code int,
        synced_at timestamptz)
    """
)


class BatchChanges:
    """What one batch changes, written in bulk at the end: the delivery rows (grouped by
    identical new values, so a batch that all went out is one UPDATE), the platform's
    entry in each conversion's `sync_status` map, and the log rows."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.deliveries: dict[tuple[tuple[str, Any], ...], list[uuid.UUID]] = {}
        self.statuses: dict[str, list[uuid.UUID]] = {}
        self.log: list[dict[str, Any]] = []

    def set_status(
        self, sync: ConversionSync, status: str, reason: str | None, **changes: Any
    ) -> None:
        code, params = code_of(reason)
        values = {
            "status": status,
            "reason": None if reason is None else str(reason),
            "reason_code": code,
            # Sorted JSON text: the values group identical rows into one UPDATE.
            "reason_params": orjson.dumps(params, option=orjson.OPT_SORT_KEYS).decode(),
            **changes,
        }
        if status != "pending":
            values["next_attempt_at"] = None
        key = tuple(sorted(values.items()))
        self.deliveries.setdefault(key, []).append(sync.conversion_id)
        self.statuses.setdefault(status, []).append(sync.conversion_id)

    async def write(self, session: AsyncSession) -> None:
        for key, conversion_ids in self.deliveries.items():
            await session.execute(
                update(ConversionSync)
                .where(
                    ConversionSync.platform == self.platform,
                    ConversionSync.conversion_id.in_(conversion_ids),
                )
                .values(
                    **{k: v for k, v in key if k != "reason_params"},
                    reason_params=cast(literal(dict(key)["reason_params"], Text), JSONB),
                    updated_at=func.now(),
                )
                .execution_options(synchronize_session=False)
            )
        # `||` merges this platform's key into the map in the database: another
        # platform's worker may be updating the same conversion's map at the same time,
        # and a read-modify-write of the whole map would lose one of the two.
        for status, conversion_ids in self.statuses.items():
            await session.execute(
                update(OfflineConversion)
                .where(OfflineConversion.conversion_id.in_(conversion_ids))
                .values(
                    sync_status=OfflineConversion.sync_status.op("||")(
                        func.jsonb_build_object(cast(self.platform, Text), cast(status, Text))
                    ),
                    updated_at=func.now(),
                )
                .execution_options(synchronize_session=False)
            )
        if self.log:
            await session.execute(
                _INSERT_LOG,
                {"rows": orjson.dumps(self.log, option=orjson.OPT_NON_STR_KEYS).decode()},
            )
