"""RD Station Marketing: the lead becomes a conversion event (`POST /platform/events`).

A new lead is a `CONVERSION` (event family `CDP`) with `conversion_identifier` and the
attribution as `traffic_source`/`traffic_medium`/`traffic_campaign`; RD keys contacts by
e-mail, so a retry updates the same contact. Stage changes become the funnel events
`OPPORTUNITY` (qualified, proposal, negotiation), `SALE` (won, with the value) and
`OPPORTUNITY_LOST` (lost). Auth: an access token as `Authorization: Bearer`; the answer is
`{event_uuid}`. Settings: `conversion_identifier` (default "rastro-lead"), `funnel_name`
(default "default").
"""

from __future__ import annotations

from typing import Any, ClassVar

from rastro.core.http import resolve_base_url
from rastro.integrations.connectors.base import (
    Calls,
    ConnectorError,
    LeadPayload,
    PushContext,
    PushResult,
    check_optional_str,
    failure,
    required_credential,
    response_body,
)

DEFAULT_URL = "https://api.rd.services"
STAGE_EVENTS = {
    "qualified": "OPPORTUNITY",
    "proposal": "OPPORTUNITY",
    "negotiation": "OPPORTUNITY",
    "won": "SALE",
    "lost": "OPPORTUNITY_LOST",
}


def _message(body: dict[str, Any]) -> str:
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return f"{first.get('error_type')}: {first.get('error_message')} ({first.get('path')})"
    if isinstance(errors, dict):
        return str(errors.get("error_message") or errors)
    return "request failed"


class RdStationConnector:
    name: ClassVar[str] = "rdstation"
    integration_type: ClassVar[str] = "crm"

    def check_settings(self, settings: dict[str, Any]) -> list[dict[str, str]]:
        return check_optional_str(settings, "conversion_identifier") + check_optional_str(
            settings, "funnel_name"
        )

    def base_url(self, context: PushContext) -> str:
        credential = required_credential(context.credential)
        return resolve_base_url(credential.base_url, DEFAULT_URL) or DEFAULT_URL

    def headers(self, context: PushContext) -> dict[str, str]:
        return {"authorization": f"Bearer {required_credential(context.credential).api_key}"}

    def event(self, lead: LeadPayload, settings: dict[str, Any]) -> dict[str, Any] | None:
        if not lead.email:
            raise ConnectorError("RD Station needs the lead's e-mail.")
        funnel = settings.get("funnel_name") or "default"
        if lead.event == "lead.stage_changed":
            event_type = STAGE_EVENTS.get(lead.stage)
            if event_type is None:
                return None
            payload: dict[str, Any] = {"email": lead.email, "funnel_name": funnel}
            if event_type == "SALE" and lead.stage_value is not None:
                payload["value"] = float(lead.stage_value)
            return {"event_type": event_type, "event_family": "CDP", "payload": payload}
        payload = {
            "conversion_identifier": settings.get("conversion_identifier") or "rastro-lead",
            "email": lead.email,
            "name": lead.name,
            "mobile_phone": lead.phone,
            "company_name": lead.company,
            "traffic_source": lead.source,
            "traffic_medium": lead.medium,
            "traffic_campaign": lead.campaign,
        }
        return {
            "event_type": "CONVERSION",
            "event_family": "CDP",
            "payload": {k: v for k, v in payload.items() if v is not None},
        }

    async def push(self, lead: LeadPayload, context: PushContext, calls: Calls) -> PushResult:
        event = self.event(lead, context.settings)
        if event is None:
            return PushResult(ok=True, response={"skipped": f"no RD event for stage {lead.stage}"})
        kind = "conversion" if event["event_type"] == "CONVERSION" else event["event_type"].lower()
        response = await calls.send(
            "POST", "/platform/events", params={"event_type": kind}, json=event
        )
        answer = response_body(response)
        if not response.is_success:
            return failure(response, _message(answer))
        event_uuid = answer.get("event_uuid")
        return PushResult(
            ok=True,
            external_id=None,  # an event id, not a record that inbound webhooks could match
            http_status=response.status_code,
            response=answer | ({"event_uuid": event_uuid} if event_uuid else {}),
        )
