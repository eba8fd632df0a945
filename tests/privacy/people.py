"""A person written into every store that can hold them (both databases), for the
data-subject tests: what an export must find and an erasure must leave unfindable."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rastro.analytics.models import ConversionFact, SessionFact
from rastro.conversions.models import ConversionSync, OfflineConversion, PlatformSyncLog
from rastro.core.db import Databases, Scope
from rastro.core.ids import uuid7
from rastro.core.outbox import OutboxMessage
from rastro.crm.models import Activity, Contact, Deal, Lead, LeadStage, Note, Task
from rastro.email.event_models import MessageEvent
from rastro.email.models import EmailContact, Suppression
from rastro.funnels.monitor.models import FunnelStepVisit
from rastro.funnels.payments.models import Payment
from rastro.funnels.recovery.models import RecoveryCase
from rastro.integrations.models import IntegrationLog, WebhookDelivery
from rastro.tracking.models import (
    Event,
    LeadAttribution,
    PageView,
    TrackedSession,
    UtmTracking,
    VisitorJourney,
)

# Every store the person is written to, as the export names them.
STORES = (
    "contacts",
    "leads",
    "lead_stages",
    "deals",
    "notes",
    "tasks",
    "activities",
    "sessions",
    "utm_tracking",
    "page_views",
    "events",
    "visitor_journeys",
    "lead_attribution",
    "session_facts",
    "conversion_facts",
    "funnel_step_visits",
    "email_contacts",
    "email_suppressions",
    "email_message_events",
    "payments",
    "recovery_cases",
    "offline_conversions",
    "offline_conversion_syncs",
    "platform_sync_log",
    "integrations_log",
    "crm_webhook_deliveries",
    "outbox",
)


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Person:
    email: str
    phone: str  # E.164
    name: str
    ip: str
    visitor_id: str
    session_id: str
    contact_id: uuid.UUID
    lead_id: uuid.UUID

    @property
    def traces(self) -> list[str]:
        """What must not be findable anywhere after an erasure."""
        return [self.email, self.phone, self.name, self.ip, sha(self.email), sha(self.phone)]


async def add_person(
    databases: Databases,
    organization_id: uuid.UUID,
    *,
    email: str = "maria.silva@example.com.br",
    phone: str = "+5511987654321",
    name: str = "Maria Silva",
    ip: str = "198.51.100.23",
) -> Person:
    n = uuid.uuid4().hex[:12]
    person = Person(
        email=email,
        phone=phone,
        name=name,
        ip=ip,
        visitor_id=f"v{n}",
        session_id=f"s{n}.x",
        contact_id=uuid7(),
        lead_id=uuid7(),
    )
    now = datetime.now(UTC)
    scope = Scope.organization(organization_id)
    domain_id = uuid7()
    async with databases.crm.transaction(scope) as crm:
        crm.add(
            Contact(
                contact_id=person.contact_id,
                email=email,
                hashed_email=sha(email),
                phone=phone,
                hashed_phone=sha(phone),
                name=name,
                company="Silva Ltda",
                visitor_ids=[person.visitor_id],
            )
        )
        await crm.flush()
        crm.add(
            Lead(
                lead_id=person.lead_id,
                contact_id=person.contact_id,
                session_id=person.session_id,
                visitor_id=person.visitor_id,
                email=email,
                hashed_email=sha(email),
                phone=phone,
                hashed_phone=sha(phone),
                name=name,
                company="Silva Ltda",
                message=f"Me liguem no {phone}",
                lead_score="B",
                current_stage="won",
                stage_value=Decimal("1500.00"),
                source="google",
                channel="Paid Search",
            )
        )
        await crm.flush()
        stage = LeadStage(lead_id=person.lead_id, stage_name="won", changed_by="ana@acme.com")
        crm.add(stage)
        crm.add(Deal(lead_id=person.lead_id, contact_id=person.contact_id, name=f"{name} — plano"))
        crm.add(Note(lead_id=person.lead_id, body=f"{name} pediu retorno"))
        crm.add(Task(contact_id=person.contact_id, title=f"Ligar para {name}"))
        crm.add(Activity(lead_id=person.lead_id, activity_type="note", summary=f"Nota: {name}"))
        crm.add(EmailContact(contact_id=person.contact_id, consent_ip=person.ip))
        await crm.flush()
        crm.add(Suppression(contact_id=person.contact_id, reason="manual"))
        crm.add(
            Payment(
                gateway="pix",
                amount=Decimal("1500.00"),
                status="paid",
                lead_id=person.lead_id,
                customer_data={"email": email, "phone": phone, "name": name},
                gateway_response={"payer": {"email": email}},
            )
        )
        crm.add(
            RecoveryCase(
                kind="checkout_abandoned",
                amount=Decimal("1500.00"),
                detected_at=now,
                resume_expires_at=now + timedelta(days=3),
                visitor_id=person.visitor_id,
                contact={"email": email, "phone": phone, "name": name},
            )
        )
        conversion = OfflineConversion(
            lead_id=person.lead_id,
            fbclid="IwAR-fbclid-of-maria",
            conversion_currency="BRL",
            conversion_value=Decimal("1500.00"),
            conversion_date=now,
            conversion_name="purchase",
            order_id=f"order-{n}",
            origin="stage",
        )
        crm.add(conversion)
        await crm.flush()
        crm.add(
            ConversionSync(
                conversion_id=conversion.conversion_id,
                platform="meta",
                status="sent",
                sent_at=now,
                click={"fbclid": "IwAR-fbclid-of-maria"},
            )
        )
        crm.add(
            PlatformSyncLog(
                conversion_id=conversion.conversion_id,
                platform="meta",
                attempt=1,
                sync_status="sent",
                request_payload={"user_data": {"em": [sha(email)], "ph": [sha(phone)]}},
            )
        )
        crm.add(
            IntegrationLog(
                lead_id=person.lead_id,
                integration_type="crm",
                integration_name="hubspot",
                status="success",
                request_data={"properties": {"email": email, "firstname": name}},
            )
        )
        crm.add(
            WebhookDelivery(
                provider="hubspot",
                external_event_id=f"evt-{n}",
                status="review",
                payload={"properties": {"email": email}},
            )
        )
        crm.add(
            OutboxMessage(
                organization_id=organization_id,
                topic="crm.lead_facts",
                payload={"lead_id": str(person.lead_id), "email": email},
                delivered_at=now,
            )
        )
    async with databases.bi.transaction(scope) as bi:
        bi.add(
            TrackedSession(
                session_id=person.session_id,
                domain_id=domain_id,
                visitor_id=person.visitor_id,
                client_session_id=f"c{n}",
                started_at=now,
                last_activity_at=now,
                channel="Paid Search",
            )
        )
        bi.add(
            UtmTracking(
                tracking_id=uuid7(),
                created_at=now,
                session_id=person.session_id,
                visitor_id=person.visitor_id,
                domain_id=domain_id,
                channel="Paid Search",
                page_url=f"https://acme.com.br/oferta?email={email}",
                url_params={"email": email},
                user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
                client_ip=person.ip,
            )
        )
        bi.add(
            PageView(
                view_id=uuid7(),
                created_at=now,
                session_id=person.session_id,
                page_url=f"https://acme.com.br/obrigado?phone={phone}",
                view_order=1,
            )
        )
        bi.add(
            Event(
                event_id=uuid7(),
                created_at=now,
                session_id=person.session_id,
                event_type="form_submit",
                event_data={"fields": {"email": email, "name": name}},
            )
        )
        bi.add(
            VisitorJourney(
                visitor_id=person.visitor_id,
                domain_id=domain_id,
                first_visit_at=now,
                last_visit_at=now,
            )
        )
        bi.add(LeadAttribution(lead_id=person.lead_id, campaign_id="spring", conversion_date=now))
        bi.add(
            SessionFact(
                session_id=person.session_id,
                started_at=now,
                visitor_id=person.visitor_id,
                visitor_key=hash(person.visitor_id) % 2**62,
                domain_id=domain_id,
                channel="Paid Search",
                page_views=1,
                events=1,
                duration=30,
                converted=True,
                is_new=True,
            )
        )
        bi.add(
            ConversionFact(
                lead_id=person.lead_id,
                created_at=now,
                channel="Paid Search",
                score_points=50,
                stage="won",
                currency="BRL",
                session_id=person.session_id,
                visitor_ids=[person.visitor_id],
            )
        )
        bi.add(
            FunnelStepVisit(
                step_id=uuid7(),
                session_id=person.session_id,
                funnel_id=uuid7(),
                visitor_id=person.visitor_id,
                visited_at=now,
            )
        )
        bi.add(
            MessageEvent(
                campaign_id=uuid7(),
                message_id=uuid7(),
                contact_id=person.contact_id,
                type="open",
                source="tracker",
                detail={"ip": person.ip},
            )
        )
    return person
