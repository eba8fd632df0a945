"""The tracking database functions' input and output, typed once: `rastro_collect()` (BI
migration 0044, `migrations/bi/sql/rastro_collect_v6.sql`) and `rastro_session_facts()`
(BI migration 0005, `rastro_session_facts_v1.sql`).

TypedDicts cost nothing at run time (the collector builds plain dicts, orjson encodes
them); mypy checks that the code building the JSON and reading the results uses these
names. A key marked `NotRequired` may be left out: the function reads its absence as
null (or the default the comment gives). Ids go in as `uuid.UUID` and come back as
strings; times go in as ISO 8601 strings (or datetimes) and come back as strings.
"""

from __future__ import annotations

import uuid
from typing import Any, NotRequired, TypedDict, cast, final

import orjson

from rastro.core.units import AutocommitCall

# --- rastro_collect(batches jsonb) → jsonb ------------------------------------------------


class CollectSessionMetadata(TypedDict):
    """`sessions.metadata` of a new session (the collector's enrichment, kept as is)."""

    source: str | None
    medium: str | None
    browser: str | None
    os: str | None
    screen: str | None
    language: str | None
    stored_touch: dict[str, Any]  # the tracker's own first/last touch, small and flat
    # The visitor's consent (analytics, ad_user_data, ad_personalization) when the tracker
    # sent one (`rastro.tracking.service.consent`).
    consent: NotRequired[dict[str, bool]]


class CollectSession(TypedDict):
    """The columns of a session the batch starts (read only when it starts one)."""

    first_page_id: NotRequired[uuid.UUID | None]
    is_bot: NotRequired[bool]  # absent: false
    channel: NotRequired[str | None]
    metadata: NotRequired[CollectSessionMetadata]  # absent: {}


class CollectTouch(TypedDict):
    """The `utm_tracking` row of a session the batch starts; the function adds its ids,
    time, organization, session, visitor and domain."""

    utm_source: NotRequired[str | None]
    utm_medium: NotRequired[str | None]
    utm_campaign: NotRequired[str | None]
    utm_id: NotRequired[str | None]
    utm_term: NotRequired[str | None]
    utm_content: NotRequired[str | None]
    gclid: NotRequired[str | None]
    gbraid: NotRequired[str | None]
    wbraid: NotRequired[str | None]
    fbclid: NotRequired[str | None]
    ttclid: NotRequired[str | None]
    li_fat_id: NotRequired[str | None]
    msclkid: NotRequired[str | None]
    src: NotRequired[str | None]
    sck: NotRequired[str | None]
    xcod: NotRequired[str | None]
    # A Rastro e-mail click's `mid` (message) and `rid` (recipient: the CRM contact).
    email_message_id: NotRequired[uuid.UUID | None]
    email_contact_id: NotRequired[uuid.UUID | None]
    page_id: NotRequired[uuid.UUID | None]
    fbc: NotRequired[str | None]
    fbp: NotRequired[str | None]
    channel: str  # the column is NOT NULL
    device: NotRequired[str | None]
    match_type: NotRequired[str | None]
    attribution_model: NotRequired[str | None]
    referrer: NotRequired[str | None]
    page_url: NotRequired[str | None]
    url_params: dict[str, str]  # the column is NOT NULL
    user_agent: NotRequired[str | None]
    client_ip: NotRequired[str | None]


class CollectView(TypedDict):
    """A page view; one already stored for the session (same `view_id`) is skipped."""

    view_id: uuid.UUID
    created_at: str
    page_url: str
    page_id: NotRequired[uuid.UUID | None]
    client_view_id: NotRequired[str | None]  # the tracker's id, which page_leave names
    page_title: NotRequired[str | None]
    referrer: NotRequired[str | None]


class CollectEvent(TypedDict):
    """An interaction; one already stored (same `event_id` and time) is skipped."""

    event_id: uuid.UUID
    created_at: str
    event_type: str
    page_id: NotRequired[uuid.UUID | None]
    event_category: NotRequired[str | None]
    event_action: NotRequired[str | None]
    event_label: NotRequired[str | None]
    event_value: NotRequired[str | None]  # a decimal, as text
    element_id: NotRequired[str | None]
    element_class: NotRequired[str | None]
    event_data: NotRequired[dict[str, Any]]  # absent: {}


class CollectLeave(TypedDict):
    """A page_leave: the time on the view the tracker named, and whether it was left by
    an exit. The latest leave of a view (the largest time) decides; a view followed by
    another one is never the exit."""

    client_view_id: str
    time_on_page: int
    exit_page: NotRequired[bool]  # absent: false


class CollectBatch(TypedDict):
    """One tracker batch of one organization's session, prepared by the collector; each
    batch is its own subtransaction under its organization's row-level security scope."""

    org: uuid.UUID
    domain: uuid.UUID
    csid: str  # the tracker's session id
    visitor: str
    # The first event that is not a page_leave (None: only leaves, which start no session).
    activity_at: str | None
    last_at: NotRequired[str | None]
    campaign_key: NotRequired[str | None]  # another campaign starts a new session
    session: NotRequired[CollectSession]
    touch: CollectTouch  # needed when the batch starts a session (`{}` plus the NOT NULLs)
    views: NotRequired[list[CollectView]]
    events: NotRequired[list[CollectEvent]]
    leaves: NotRequired[list[CollectLeave]]


@final
class CollectStored(TypedDict):
    """A stored batch: its session, and the ids of the rows it inserted (a view or an
    event already stored is not among them)."""

    session_id: str
    new: bool  # the batch started the session
    views: list[str]
    events: list[str]
    total_page_views: int
    visitor_id: str
    domain_id: str
    is_bot: bool
    channel: str | None
    started_at: str
    return_visits: int
    source: str | None
    medium: str | None


@final
class CollectRefused(TypedDict):
    """A batch the function did not store: `unknown_session` (only page_leave events for
    a session it does not know), or `internal: SQLSTATE message` (its subtransaction
    failed; its neighbours were stored)."""

    error: str


CollectOutcome = CollectStored | CollectRefused


def _collect_parameters(batches: list[CollectBatch]) -> tuple[str]:
    return (orjson.dumps(batches).decode(),)


def _collect_outcomes(value: Any) -> list[CollectOutcome]:
    return cast(list[CollectOutcome], value)  # one per batch, in order


RASTRO_COLLECT: AutocommitCall[list[CollectBatch], list[CollectOutcome]] = AutocommitCall(
    "SELECT rastro_collect(%s::jsonb)", _collect_parameters, _collect_outcomes
)


# --- rastro_session_facts(org uuid, session text) → jsonb ---------------------------------


class TouchRow(TypedDict):
    """A `utm_tracking` row as `to_jsonb` gives it."""

    tracking_id: str
    created_at: str
    organization_id: str
    session_id: str
    visitor_id: str
    domain_id: str
    page_id: str | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    utm_id: str | None
    utm_term: str | None
    utm_content: str | None
    gclid: str | None
    gbraid: str | None
    wbraid: str | None
    fbclid: str | None
    fbc: str | None
    fbp: str | None
    ttclid: str | None
    li_fat_id: str | None
    msclkid: str | None
    src: str | None
    sck: str | None
    xcod: str | None
    email_message_id: str | None
    email_contact_id: str | None
    channel: str
    device: str | None
    match_type: str | None
    attribution_model: str | None
    referrer: str | None
    page_url: str | None
    url_params: dict[str, str]
    user_agent: str | None
    client_ip: str | None


class SessionFactsRow(TypedDict):
    """The converting session (the newest with that server or tracker id), its visitor's
    first visit on the domain, the seconds on its pages, and the visitor's first touch on
    the domain and the session's own last one (each up to a day after its last activity)."""

    session_id: str
    visitor_id: str
    domain_id: str
    started_at: str
    last_activity_at: str
    total_page_views: int
    total_events: int
    return_visits: int
    first_visit_at: str  # the session's start when the visitor has no journey
    seconds_on_pages: int
    first_touch: TouchRow | None
    last_touch: TouchRow | None


class SessionFactsQuery(TypedDict):
    organization_id: uuid.UUID
    session_id: str  # the server's or the tracker's id


def _facts_parameters(query: SessionFactsQuery) -> tuple[uuid.UUID, str]:
    return (query["organization_id"], query["session_id"])


def _facts_row(value: Any) -> SessionFactsRow | None:
    return cast(SessionFactsRow | None, value)  # None: unknown to the organization


RASTRO_SESSION_FACTS: AutocommitCall[SessionFactsQuery, SessionFactsRow | None] = AutocommitCall(
    "SELECT rastro_session_facts(%s, %s)", _facts_parameters, _facts_row
)
