"""Salesforce: the lead becomes a Lead record (REST API sObjects).

Auth: an access token as `Authorization: Bearer`; the instance URL is the credential's
`api_url` (or its `instance_url` setting). `LastName` and `Company` are required by
Salesforce, so they fall back to the e-mail's local part and "[not provided]" (what
Web-to-Lead uses). Errors come back as `[{message, errorCode, fields}]`.

Duplicates: with `external_id_field` set (a custom External ID field on Lead, e.g.
`Rastro_Lead_Id__c`) every push is an upsert
`PATCH /sobjects/Lead/{field}/{lead_id}`, so a retry after a lost answer cannot create a
second Lead. Without it, the first push `POST`s and later pushes `PATCH` the id it
returned. Settings: `api_version` (default v62.0), `lead_source` (default "Web"),
`status_map` ({our stage: Lead Status picklist value}), `external_id_field`,
`default_company`.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from rastro.integrations.connectors.base import (
    Calls,
    ConnectorError,
    LeadPayload,
    PushContext,
    PushResult,
    check_optional_str,
    failure,
    problem,
    required_credential,
    response_body,
)

DEFAULT_VERSION = "v62.0"
_VERSION = re.compile(r"^v\d{2,3}\.\d$")
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,78}__c$")


def _errors(response_json: Any) -> str:
    if isinstance(response_json, list):
        parts = [
            f"{e.get('errorCode')}: {e.get('message')}"
            for e in response_json
            if isinstance(e, dict)
        ]
        if parts:
            return "; ".join(parts)
    return "request failed"


class SalesforceConnector:
    name: ClassVar[str] = "salesforce"
    integration_type: ClassVar[str] = "crm"

    def check_settings(self, settings: dict[str, Any]) -> list[dict[str, str]]:
        problems = []
        version = settings.get("api_version")
        if version is not None and (not isinstance(version, str) or not _VERSION.match(version)):
            problems.append(problem("api_version", "like v62.0"))
        field = settings.get("external_id_field")
        if field is not None and (not isinstance(field, str) or not _FIELD.match(field)):
            problems.append(problem("external_id_field", "a custom field API name ending in __c"))
        status_map = settings.get("status_map", {})
        if not isinstance(status_map, dict) or any(
            not isinstance(v, str) or not v for v in status_map.values()
        ):
            problems.append(problem("status_map", "an object of stage → Lead Status value"))
        problems += check_optional_str(settings, "lead_source", 40)
        problems += check_optional_str(settings, "default_company", 255)
        return problems

    def base_url(self, context: PushContext) -> str:
        credential = required_credential(context.credential)
        url = credential.base_url or credential.settings.get("instance_url")
        if not url:
            raise ConnectorError("The Salesforce credential has no instance URL.")
        return str(url).rstrip("/")

    def headers(self, context: PushContext) -> dict[str, str]:
        return {"authorization": f"Bearer {required_credential(context.credential).api_key}"}

    def fields(self, lead: LeadPayload, settings: dict[str, Any]) -> dict[str, Any]:
        local_part = lead.email.split("@", 1)[0] if lead.email else None
        values: dict[str, Any] = {
            "FirstName": lead.first_name if lead.last_name else None,
            "LastName": (lead.last_name or lead.first_name or local_part or "[not provided]")[:80],
            "Company": (lead.company or settings.get("default_company") or "[not provided]")[:255],
            "Email": lead.email,
            "Phone": lead.phone,
            "LeadSource": settings.get("lead_source") or "Web",
            "Description": lead.message,
        }
        status = (settings.get("status_map") or {}).get(lead.stage)
        if status:
            values["Status"] = status
        return {k: v for k, v in values.items() if v is not None}

    async def push(self, lead: LeadPayload, context: PushContext, calls: Calls) -> PushResult:
        version = context.settings.get("api_version") or DEFAULT_VERSION
        objects = f"/services/data/{version}/sobjects/Lead"
        fields = self.fields(lead, context.settings)
        external_field = context.settings.get("external_id_field")
        if external_field:
            response = await calls.send(
                "PATCH", f"{objects}/{external_field}/{lead.lead_id}", json=fields
            )
        elif context.previous_external_id:
            response = await calls.send(
                "PATCH", f"{objects}/{context.previous_external_id}", json=fields
            )
        else:
            response = await calls.send("POST", objects, json=fields)
        if not response.is_success:
            try:
                detail = response.json()
            except ValueError:
                detail = None
            result = failure(response, _errors(detail))
            if isinstance(detail, list):
                result.response = {"errors": detail}
            return result
        answer = response_body(response)  # 204 (update) has no body
        record_id = answer.get("id") or context.previous_external_id
        return PushResult(
            ok=True,
            external_id=str(record_id) if record_id else None,
            http_status=response.status_code,
            response=answer,
        )
