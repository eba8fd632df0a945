"""Anonymisation of tracking's raw rows older than an organization's retention (issue 22).

What reports and attribution read is kept: sessions, touches (campaign parameters, click
ids, channel, device), page views and events. What identifies a person goes: the client
IP (`utm_tracking.client_ip`), the full user agent (reduced to `device; browser; os`, the
parts the dashboard shows) and personal keys in the landing URL's other parameters and in
events' custom data. Idempotent: a second run over the same rows changes nothing.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String

from rastro.core.db import Scope
from rastro.tracking.enrichment import parse_agent

# Keys of free-form data (`url_params`, `event_data`) that hold a person's identity.
PERSONAL_KEYS = (
    "email",
    "e-mail",
    "e_mail",
    "phone",
    "telefone",
    "tel",
    "whatsapp",
    "celular",
    "name",
    "nome",
    "first_name",
    "last_name",
    "full_name",
    "cpf",
    "cnpj",
    "document",
)
# A user agent already reduced by this module: `device; browser; os`.
REDUCED = re.compile(r"^(desktop|mobile|tablet|bot|unknown); ")
REDUCED_SQL = "^(desktop|mobile|tablet|bot|unknown); "
AGENT_BATCH = 500


def reduce_agent(user_agent: str) -> str:
    """The device class, browser and operating system of a user agent, nothing else."""
    if REDUCED.match(user_agent):
        return user_agent
    agent = parse_agent(user_agent)
    return "; ".join((agent.device or "unknown", agent.browser or "-", agent.os or "-"))


_AGENTS = text(
    "SELECT DISTINCT user_agent FROM utm_tracking WHERE created_at < :cutoff "
    "AND user_agent IS NOT NULL AND user_agent !~ :reduced"
)
_SET_AGENTS = text(
    "UPDATE utm_tracking u SET user_agent = r.reduced FROM "
    "unnest(CAST(:originals AS text[]), CAST(:reduced AS text[])) AS r(original, reduced) "
    "WHERE u.created_at < :cutoff AND u.user_agent = r.original"
)
_CLEAR_IPS = text(
    "UPDATE utm_tracking SET client_ip = NULL WHERE created_at < :cutoff AND client_ip IS NOT NULL"
)
_URL_PARAMS = text(
    "UPDATE utm_tracking SET url_params = url_params - :keys "
    "WHERE created_at < :cutoff AND url_params ?| :keys"
).bindparams(bindparam("keys", type_=ARRAY(String)))
_EVENT_DATA = text(
    "UPDATE events SET event_data = event_data - :keys "
    "WHERE created_at < :cutoff AND event_data ?| :keys"
).bindparams(bindparam("keys", type_=ARRAY(String)))


async def anonymise_before(
    session: AsyncSession, scope: Scope, *, cutoff: datetime
) -> dict[str, int]:
    """Anonymise the scope's tracking rows created before `cutoff` (BI session, flushed
    not committed); returns how many rows each change touched."""
    assert scope.organization_id is not None, "anonymisation runs per organization"
    changed = {"client_ips": 0, "user_agents": 0, "url_params": 0, "event_data": 0}
    result = await session.execute(_CLEAR_IPS, {"cutoff": cutoff})
    changed["client_ips"] = _count(result)
    agents = list(
        (await session.execute(_AGENTS, {"cutoff": cutoff, "reduced": REDUCED_SQL})).scalars()
    )
    for start in range(0, len(agents), AGENT_BATCH):
        chunk = agents[start : start + AGENT_BATCH]
        result = await session.execute(
            _SET_AGENTS,
            {"originals": chunk, "reduced": [reduce_agent(a) for a in chunk], "cutoff": cutoff},
        )
        changed["user_agents"] += _count(result)
    keys = list(PERSONAL_KEYS)
    changed["url_params"] = _count(
        await session.execute(_URL_PARAMS, {"keys": keys, "cutoff": cutoff})
    )
    changed["event_data"] = _count(
        await session.execute(_EVENT_DATA, {"keys": keys, "cutoff": cutoff})
    )
    return changed


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
