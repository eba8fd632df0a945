"""Pipedrive: the lead becomes a person and a deal (API v2).

Auth: the API token in the `x-api-token` header. A push finds the person by e-mail
(`GET /api/v2/persons/search?fields=email&exact_match=true`) or creates it
(`POST /api/v2/persons`), then reuses the person's open deal with our title or creates one
(`POST /api/v2/deals`), so a retry never duplicates either. A stage change updates the
deal an earlier push created (`PATCH /api/v2/deals/{id}`: status won/lost/open and the
mapped stage). Settings: `pipeline_id`, `stage_id` (of new deals), `owner_id`,
`stage_map` ({our stage: Pipedrive stage id}), `create_deal` (default true).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rastro.core.http import resolve_base_url
from rastro.integrations.connectors.base import (
    Calls,
    LeadPayload,
    PushContext,
    PushResult,
    check_optional_int,
    failure,
    problem,
    required_credential,
    response_body,
)

DEFAULT_URL = "https://api.pipedrive.com"
DEAL_STATUS = {"won": "won", "lost": "lost"}


def _message(body: dict[str, Any]) -> str:
    return str(body.get("error") or body.get("message") or "request failed")


class PipedriveConnector:
    name: ClassVar[str] = "pipedrive"
    integration_type: ClassVar[str] = "crm"

    def check_settings(self, settings: dict[str, Any]) -> list[dict[str, str]]:
        problems = []
        for name in ("pipeline_id", "stage_id", "owner_id"):
            problems += check_optional_int(settings, name)
        stage_map = settings.get("stage_map", {})
        if not isinstance(stage_map, dict) or any(
            not isinstance(v, int) or isinstance(v, bool) or v <= 0 for v in stage_map.values()
        ):
            problems.append(problem("stage_map", "an object of stage → Pipedrive stage id"))
        if not isinstance(settings.get("create_deal", True), bool):
            problems.append(problem("create_deal", "true or false"))
        return problems

    def base_url(self, context: PushContext) -> str:
        credential = required_credential(context.credential)
        return resolve_base_url(credential.base_url, DEFAULT_URL) or DEFAULT_URL

    def headers(self, context: PushContext) -> dict[str, str]:
        return {"x-api-token": required_credential(context.credential).api_key}

    @staticmethod
    def deal_title(lead: LeadPayload) -> str:
        who = lead.name or lead.email or lead.phone or str(lead.lead_id)
        return f"{who} (lead {str(lead.lead_id)[:8]})"[:255]

    async def _find_person(
        self, lead: LeadPayload, calls: Calls
    ) -> tuple[int | None, PushResult | None]:
        if not lead.email:
            return None, None
        response = await calls.send(
            "GET",
            "/api/v2/persons/search",
            params={"term": lead.email, "fields": "email", "exact_match": "true"},
        )
        if not response.is_success:
            return None, failure(response, _message(response_body(response)))
        items = (response_body(response).get("data") or {}).get("items") or []
        for entry in items:
            item = entry.get("item") or {}
            if "id" in item:
                return int(item["id"]), None
        return None, None

    async def push(self, lead: LeadPayload, context: PushContext, calls: Calls) -> PushResult:
        settings = context.settings
        previous = context.previous_response
        deal_id = previous.get("deal_id")
        if lead.event == "lead.stage_changed" and deal_id:
            return await self._update_deal(lead, settings, calls, int(deal_id), previous)

        person_id, failed = await self._find_person(lead, calls)
        if failed is not None:
            return failed
        if person_id is None:
            person: dict[str, Any] = {"name": (lead.name or lead.email or "Lead")[:255]}
            if lead.email:
                person["emails"] = [{"value": lead.email, "primary": True, "label": "work"}]
            if lead.phone:
                person["phones"] = [{"value": lead.phone, "primary": True, "label": "mobile"}]
            if settings.get("owner_id"):
                person["owner_id"] = settings["owner_id"]
            response = await calls.send("POST", "/api/v2/persons", json=person)
            if not response.is_success:
                return failure(response, _message(response_body(response)))
            person_id = int(response_body(response)["data"]["id"])

        answer: dict[str, Any] = {"person_id": person_id}
        if settings.get("create_deal", True):
            title = self.deal_title(lead)
            response = await calls.send(
                "GET", "/api/v2/deals", params={"person_id": str(person_id), "status": "open"}
            )
            if not response.is_success:
                return failure(response, _message(response_body(response)))
            existing = [
                d for d in response_body(response).get("data") or [] if d.get("title") == title
            ]
            if existing:
                answer["deal_id"] = int(existing[0]["id"])
            else:
                deal: dict[str, Any] = {"title": title, "person_id": person_id}
                for name in ("pipeline_id", "stage_id", "owner_id"):
                    if settings.get(name):
                        deal[name] = settings[name]
                mapped = (settings.get("stage_map") or {}).get(lead.stage)
                if mapped:
                    deal["stage_id"] = mapped
                if lead.stage in DEAL_STATUS:
                    deal["status"] = DEAL_STATUS[lead.stage]
                if lead.stage_value is not None:
                    deal["value"] = float(lead.stage_value)
                response = await calls.send("POST", "/api/v2/deals", json=deal)
                if not response.is_success:
                    return failure(response, _message(response_body(response)))
                answer["deal_id"] = int(response_body(response)["data"]["id"])
        last = calls.last_response
        return PushResult(
            ok=True,
            external_id=str(person_id),
            http_status=last.status_code if last is not None else None,
            response=answer,
        )

    async def _update_deal(
        self,
        lead: LeadPayload,
        settings: dict[str, Any],
        calls: Calls,
        deal_id: int,
        previous: dict[str, Any],
    ) -> PushResult:
        changes: dict[str, Any] = {"status": DEAL_STATUS.get(lead.stage, "open")}
        mapped = (settings.get("stage_map") or {}).get(lead.stage)
        if mapped:
            changes["stage_id"] = mapped
        if lead.stage_value is not None:
            changes["value"] = float(lead.stage_value)
        response = await calls.send("PATCH", f"/api/v2/deals/{deal_id}", json=changes)
        if not response.is_success:
            return failure(response, _message(response_body(response)))
        person_id = previous.get("person_id")
        return PushResult(
            ok=True,
            external_id=str(person_id) if person_id else None,
            http_status=response.status_code,
            response={"person_id": person_id, "deal_id": deal_id},
        )
