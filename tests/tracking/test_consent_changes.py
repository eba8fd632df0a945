"""Consent changed in the middle of a session (issue 22): the collector stores each batch
under the consent it carries, the session's consent follows the change (with its time in
`consent_changes`) and the session goes on — one session before, during and after;
the events sent while analytics was withdrawn are refused and never stored."""

from __future__ import annotations

from sqlalchemy import func, select

from rastro.core.db import Scope
from rastro.tracking.models import Event, TrackedSession
from tests.tracking.factories import batch, collect, event, make_site
from tests.tracking.test_consent_mode import _require_consent

ALL = {"analytics": True, "ad_user_data": True, "ad_personalization": True}
ANALYTICS = {"analytics": True, "ad_user_data": False, "ad_personalization": False}
SESSION = "s_" + "c" * 22


def _batch(site, consent, events):
    body = batch(site, events, session_id=SESSION)
    body["context"]["consent"] = consent
    return body


async def test_a_consent_changed_mid_session_applies_from_the_next_event(client, databases):
    site = await make_site(client, databases)
    await _require_consent(client, site)
    first = _batch(site, ALL, [event(offset=-300, view_id="pv1")])
    assert (await collect(client, first)).json()["accepted"] == 1
    # Ad data withdrawn: the next click is stored, under the new consent.
    narrowed = _batch(site, ANALYTICS, [event("click", offset=-240, view_id="pv1", label="a")])
    assert (await collect(client, narrowed)).json()["accepted"] == 1
    # Analytics withdrawn: refused (the tracker sends nothing then; a stray batch is dropped).
    withdrawn = _batch(
        site, {"analytics": False}, [event("click", offset=-180, view_id="pv1", label="b")]
    )
    assert (await collect(client, withdrawn)).json()["accepted"] == 0
    # Granted again within 30 minutes: the same session goes on.
    again = _batch(site, True, [event("click", offset=-120, view_id="pv1", label="c")])
    assert (await collect(client, again)).json()["accepted"] == 1

    scope = Scope.organization(site.account.organization_id)
    async with databases.bi.transaction(scope) as bi:
        (session,) = list(await bi.scalars(select(TrackedSession)))
        labels = set(await bi.scalars(select(Event.event_label).where(Event.event_type == "click")))
        clicks = await bi.scalar(select(func.count()).select_from(Event))
    assert session.client_session_id == SESSION
    assert (session.total_page_views, session.total_events) == (1, 2)
    assert labels == {"a", "c"}
    assert clicks == 2
    assert session.metadata_["consent"] == ALL
    changes = session.metadata_["consent_changes"]
    assert [change["consent"] for change in changes] == [ANALYTICS, ALL]
    assert changes[0]["at"] < changes[1]["at"]


async def test_an_unchanged_consent_records_no_change(client, databases):
    site = await make_site(client, databases)
    for offset in (-300, -200, -100):
        body = _batch(site, ANALYTICS, [event("click", offset=offset, label=str(offset))])
        assert (await collect(client, body)).json()["accepted"] == 1
    scope = Scope.organization(site.account.organization_id)
    async with databases.bi.transaction(scope) as bi:
        (session,) = list(await bi.scalars(select(TrackedSession)))
    assert session.metadata_["consent"] == ANALYTICS
    assert "consent_changes" not in session.metadata_
