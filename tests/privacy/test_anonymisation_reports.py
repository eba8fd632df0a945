"""Anonymisation leaves every report and attribution figure as it was (issue 22): the
report dataset of tests/analytics, given client IPs, full user agents, personal keys in
URL parameters and event data, and lead free text; every analytics report and every
attribution model read before; the organization anonymised (everything is older than the
cutoff); the rollups rebuilt from the anonymised rows; every report read again, equal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, text, update

from rastro.core.db import Databases, Scope
from rastro.core.units import TransactionBoundary
from rastro.crm.models import Lead
from rastro.privacy.retention import service
from tests.analytics.factories import refresh
from tests.analytics.report_data import make_dataset, sp_today

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
    "markov",
    "shapley",
)


def _reports(first: Any, last: Any) -> list[tuple[str, dict[str, Any]]]:
    period = {"date_from": first.isoformat(), "date_to": last.isoformat(), "compare": "previous"}
    reports: list[tuple[str, dict[str, Any]]] = [
        ("/api/analytics/overview", period),
        ("/api/analytics/channels", period),
        ("/api/analytics/offline-conversions", period),
        ("/api/analytics/landing-pages", period),
        ("/api/analytics/behavior", period),
        ("/api/analytics/visitors/returning", period),
        ("/api/analytics/journeys", period),
        ("/api/analytics/cohorts", period),
        ("/api/analytics/attribution/compare", period),
    ]
    for group_by in ("campaign", "source_medium", "content", "term"):
        reports.append(("/api/analytics/campaigns", {**period, "group_by": group_by}))
    for model in MODELS:
        for conversion in ("lead", "won"):
            params = {**period, "model": model, "conversion": conversion}
            reports.append(("/api/analytics/attribution", params))
    reports.append(("/api/analytics/overview", {**period, "device": "mobile"}))
    return reports


def _stable(body: Any) -> Any:
    """The body without the moments the answer was computed at."""
    if isinstance(body, dict):
        return {
            k: _stable(v)
            for k, v in body.items()
            if k not in {"generated_at", "data_through", "computed_at"}
        }
    if isinstance(body, list):
        return [_stable(v) for v in body]
    return body


def _differences(old: Any, new: Any, where: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in old.keys() | new.keys():
            found += _differences(old.get(key), new.get(key), f"{where}.{key}")
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            d
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for d in _differences(a, b, f"{where}[{i}]")
        ]
    return [] if old == new else [f"{where}: {old!r} != {new!r}"]


async def _read_all(client: httpx.AsyncClient, headers: dict[str, str], reports: Any) -> list[Any]:
    answers = []
    for path, params in reports:
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 200, (path, params, response.text)
        answers.append(_stable(response.json()))
    return answers


async def _personalise(databases: Databases, organization_id: Any) -> None:
    """What the collector and capture store about people, on the dataset's rows."""
    scope = Scope.organization(organization_id)
    async with databases.bi.transaction(scope) as bi:
        await bi.execute(
            text(
                "UPDATE utm_tracking SET client_ip = '203.0.113.7', "
                "user_agent = CASE WHEN device = 'mobile' THEN :iphone ELSE :chrome END, "
                'url_params = \'{"email": "ana@example.com", "ref": "partner"}\''
            ),
            {"iphone": IPHONE, "chrome": CHROME},
        )
        await bi.execute(
            text('UPDATE events SET event_data = \'{"phone": "+5511999990000", "plan": "pro"}\'')
        )
    async with databases.crm.transaction(scope) as crm:
        # The message is encrypted at rest: set through the model's column type.
        await crm.execute(
            update(Lead)
            .values(message="Me liga amanhã")
            .execution_options(synchronize_session=False)
        )
        # The metadata too (form fields flagged, as capture flags them).
        for lead in (await crm.scalars(select(Lead))).all():
            lead.metadata_ = {**lead.metadata_, "form": {"cpf": "123.456.789-09"}}
            lead.form_fields_kept = True


async def test_reports_and_attribution_equal_before_and_after_anonymisation(client, databases):
    data = await make_dataset(client, databases)
    org = data.organization_id
    await _personalise(databases, org)
    today = sp_today()
    reports = _reports(today - timedelta(days=21), today - timedelta(days=1))
    before = await _read_all(client, data.site.headers, reports)

    run = await service.anonymise_organization(
        TransactionBoundary(databases.crm),
        TransactionBoundary(databases.bi),
        org,
        now=datetime.now(UTC) + timedelta(days=200),  # 6 months on: every row is older
    )
    assert run.status == "done", run.changes
    tracking = run.changes["tracking"]
    assert min(tracking.values()) > 0, tracking  # IPs, agents, URL parameters, event data
    assert run.changes["crm"]["lead_messages"] > 0
    assert run.changes["crm"]["lead_form_fields"] > 0

    await refresh(databases, org, full=True)  # the rollups rebuilt from the anonymised rows
    after = await _read_all(client, data.site.headers, reports)
    for (path, params), old, new in zip(reports, before, after, strict=True):
        assert new == old, (path, params, _differences(old, new))

    scope = Scope.organization(org)
    async with databases.bi.transaction(scope) as bi:
        left = (
            await bi.execute(
                text(
                    "SELECT count(*) FILTER (WHERE client_ip IS NOT NULL), "
                    "count(*) FILTER (WHERE user_agent LIKE 'Mozilla%'), "
                    "count(*) FILTER (WHERE url_params ? 'email'), "
                    "count(*) FILTER (WHERE url_params ? 'ref') FROM utm_tracking"
                )
            )
        ).one()
        assert tuple(left[:3]) == (0, 0, 0)
        assert left[3] > 0  # parameters that are not personal stay
        agents = set(
            (await bi.execute(text("SELECT DISTINCT user_agent FROM utm_tracking"))).scalars()
        )
        assert agents == {"desktop; Chrome; Windows", "mobile; Mobile Safari; iOS"}
        data_left = (
            await bi.execute(
                text(
                    "SELECT count(*) FILTER (WHERE event_data ? 'phone'), "
                    "count(*) FILTER (WHERE event_data ? 'plan') FROM events"
                )
            )
        ).one()
        assert data_left[0] == 0
        assert data_left[1] > 0
    async with databases.crm.transaction(scope) as crm:
        leads = (
            await crm.execute(
                text(
                    "SELECT count(*) FILTER (WHERE message_encrypted IS NOT NULL), "
                    "count(*) FILTER (WHERE form_fields_kept), "
                    "count(*) FILTER (WHERE email_encrypted IS NULL AND phone_encrypted IS NULL) "
                    "FROM leads"
                )
            )
        ).one()
        assert tuple(leads[:2]) == (0, 0)
        # The metadata is encrypted: opened, none keeps the form's fields any more.
        assert not [m for m in await crm.scalars(select(Lead.metadata_)) if "form" in m]

    # A second run finds nothing left to change.
    again = await service.anonymise_organization(
        TransactionBoundary(databases.crm),
        TransactionBoundary(databases.bi),
        org,
        now=datetime.now(UTC) + timedelta(days=200),
    )
    assert all(v == 0 for part in again.changes.values() for v in part.values()), again.changes
