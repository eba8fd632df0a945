"""HubSpot: the lead becomes a contact, upserted by e-mail (CRM API v3).

`POST /crm/v3/objects/contacts/batch/upsert` with `idProperty: email` creates the contact
or updates the one with that e-mail, so a retried push never duplicates it. A lead without
an e-mail is created with `POST /crm/v3/objects/contacts` (or updated by the id an earlier
push returned). Auth: a private app's access token as `Authorization: Bearer`.

Settings: `lead_status` (hs_lead_status on creation, default NEW), `stage_lead_status`
({our stage: hs_lead_status}) and `property_map` ({our field: HubSpot property}) for custom
properties such as `utm_source` (they must exist in the portal).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rastro.core.http import resolve_base_url
from rastro.integrations.connectors.base import (
    Calls,
    ErasureAnswer,
    LeadPayload,
    PushContext,
    PushResult,
    check_optional_str,
    failure,
    problem,
    required_credential,
    response_body,
)

DEFAULT_URL = "https://api.hubapi.com"
LEAD_STATUSES = frozenset(
    {
        "NEW",
        "OPEN",
        "IN_PROGRESS",
        "OPEN_DEAL",
        "UNQUALIFIED",
        "ATTEMPTED_TO_CONTACT",
        "CONNECTED",
        "BAD_TIMING",
    }
)
# Lead fields a `property_map` may send to custom HubSpot properties.
MAPPABLE_FIELDS = frozenset(
    {
        "source",
        "medium",
        "campaign",
        "channel",
        "session_id",
        "visitor_id",
        "utm_tracking_id",
        "lead_score",
        "stage",
        "form_location",
        "lead_id",
    }
)


def _message(body: dict[str, Any]) -> str:
    return str(body.get("message") or body.get("category") or "request failed")


class HubSpotConnector:
    name: ClassVar[str] = "hubspot"
    integration_type: ClassVar[str] = "crm"

    def check_settings(self, settings: dict[str, Any]) -> list[dict[str, str]]:
        problems = check_optional_str(settings, "lead_status")
        status = settings.get("lead_status")
        if isinstance(status, str) and status not in LEAD_STATUSES:
            problems.append(problem("lead_status", f"one of {sorted(LEAD_STATUSES)}"))
        stage_map = settings.get("stage_lead_status", {})
        if not isinstance(stage_map, dict) or any(
            v not in LEAD_STATUSES for v in stage_map.values()
        ):
            problems.append(
                problem("stage_lead_status", f"an object of stage → one of {sorted(LEAD_STATUSES)}")
            )
        mapping = settings.get("property_map", {})
        if not isinstance(mapping, dict) or any(
            k not in MAPPABLE_FIELDS or not isinstance(v, str) or not v for k, v in mapping.items()
        ):
            problems.append(
                problem(
                    "property_map",
                    f"an object of field → property; fields: {sorted(MAPPABLE_FIELDS)}",
                )
            )
        return problems

    def base_url(self, context: PushContext) -> str:
        credential = required_credential(context.credential)
        return resolve_base_url(credential.base_url, DEFAULT_URL) or DEFAULT_URL

    def properties(self, lead: LeadPayload, settings: dict[str, Any]) -> dict[str, str]:
        values: dict[str, str | None] = {
            "email": lead.email,
            "firstname": lead.first_name,
            "lastname": lead.last_name,
            "phone": lead.phone,
            "company": lead.company,
        }
        if lead.event == "lead.created":
            values["hs_lead_status"] = settings.get("lead_status") or "NEW"
        status = (settings.get("stage_lead_status") or {}).get(lead.stage)
        if status:
            values["hs_lead_status"] = status
        snapshot = lead.as_json()
        flat = {**snapshot, **snapshot["attribution"]}
        for field, prop in (settings.get("property_map") or {}).items():
            value = flat.get(field)
            values[prop] = None if value is None else str(value)
        return {k: v for k, v in values.items() if v is not None and v != ""}

    async def push(self, lead: LeadPayload, context: PushContext, calls: Calls) -> PushResult:
        properties = self.properties(lead, context.settings)
        if lead.email:
            body: dict[str, Any] = {
                "inputs": [{"idProperty": "email", "id": lead.email, "properties": properties}]
            }
            response = await calls.send("POST", "/crm/v3/objects/contacts/batch/upsert", json=body)
            if not response.is_success:
                return failure(response, _message(response_body(response)))
            answer = response_body(response)
            results = answer.get("results") or []
            contact_id = str(results[0]["id"]) if results and "id" in results[0] else None
            return PushResult(
                ok=True, external_id=contact_id, http_status=response.status_code, response=answer
            )
        if context.previous_external_id:
            response = await calls.send(
                "PATCH",
                f"/crm/v3/objects/contacts/{context.previous_external_id}",
                json={"properties": properties},
            )
        else:
            response = await calls.send(
                "POST", "/crm/v3/objects/contacts", json={"properties": properties}
            )
        if not response.is_success:
            return failure(response, _message(response_body(response)))
        answer = response_body(response)
        return PushResult(
            ok=True,
            external_id=str(answer["id"]) if "id" in answer else context.previous_external_id,
            http_status=response.status_code,
            response=answer,
        )

    async def erase(self, email: str, calls: Calls) -> ErasureAnswer:
        """Permanently delete the contact with this e-mail (GDPR delete,
        `POST /crm/v3/objects/contacts/gdpr-delete`, 204 with no body). HubSpot also
        blocklists an e-mail it does not know, so it is never re-created by a form."""
        response = await calls.send(
            "POST",
            "/crm/v3/objects/contacts/gdpr-delete",
            json={"objectId": email, "idProperty": "email"},
        )
        if response.is_success:
            return ErasureAnswer("deleted", response.status_code)
        if response.status_code == 404:
            return ErasureAnswer("not_found", response.status_code)
        return ErasureAnswer("failed", response.status_code, _message(response_body(response)))

    def headers(self, context: PushContext) -> dict[str, str]:
        return {"authorization": f"Bearer {required_credential(context.credential).api_key}"}
