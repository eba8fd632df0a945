"""Demo CRM: leads captured from the demo traffic (through the real capture code), spread
over the pipeline with deals, tasks and notes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import update

from rastro.core.db import Scope
from rastro.core.module import DemoContext
from rastro.core.units import TransactionBoundary
from rastro.crm.models import Deal, Lead, LeadStage, Note, Task
from rastro.crm.service.capture import Submission, capture
from rastro.crm.service.pipeline import StageChange, change_stage
from rastro.tracking.service import conversions

FIRST = ("Ana", "Bruno", "Carla", "Diego", "Eduarda", "Felipe", "Gabriela", "Henrique", "Isabela")
LAST = ("Silva", "Souza", "Oliveira", "Santos", "Lima", "Pereira", "Costa", "Almeida")
COMPANIES = (
    ("Padaria Pão Quente", "paoquente.com.br"),
    ("Construtora Alvorada", "alvorada.eng.br"),
    ("Clínica Sorriso", "clinicasorriso.com.br"),
    ("Tech Norte", "technorte.io"),
    (None, "gmail.com"),
    (None, "hotmail.com"),
    (None, "uol.com.br"),
)
# Where the demo leads end up (weights), and what a deal is worth there.
PIPELINE = (("new", 40), ("qualified", 20), ("proposal", 14), ("negotiation", 10), ("won", 10))
LOST_SHARE = 6
PATH = ("new", "qualified", "proposal", "negotiation", "won")


def _target(rng: random.Random) -> str:
    if rng.uniform(0, 100) < LOST_SHARE:
        return "lost"
    total = sum(w for _, w in PIPELINE)
    point = rng.uniform(0, total)
    for stage, weight in PIPELINE:
        if point < weight:
            return stage
        point -= weight
    return "new"


async def load_demo(context: DemoContext, *, leads: int = 180, seed: int = 11) -> str:
    rng = random.Random(seed)  # noqa: S311 (demo data, not security)
    scope = Scope.organization(context.organization_id)
    async with context.databases.bi.transaction(scope) as bi:
        sessions = await conversions.engaged_sessions(bi)
    chosen = rng.sample(sessions, min(leads, len(sessions)))
    counts: dict[str, int] = {}
    # Captured first (each capture commits on its own), then moved along the pipeline.
    captured = []
    for n, tracked in enumerate(chosen):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        company, domain = rng.choice(COMPANIES)
        lead_id = (
            await capture(
                TransactionBoundary(context.databases.crm),
                TransactionBoundary(context.databases.bi),
                context.organization_id,
                Submission(
                    name=f"{first} {last}",
                    email=f"{first}.{last}.{n}@{domain}".lower(),
                    phone=f"+55119{rng.randint(60000000, 99999999)}",
                    company=company,
                    message=rng.choice((None, "Quero um orçamento", "Podem me ligar?")),
                    form_location=rng.choice(("hero", "rodape", "popup")),
                    session_id=tracked.session_id,
                    visitor_id=tracked.visitor_id,
                ),
            )
        ).lead_id
        captured.append((lead_id, tracked, company))
    now = datetime.now(UTC)
    async with context.databases.crm.transaction(scope) as crm:
        for lead_id, tracked, company in captured:
            lead = await crm.get_one(Lead, lead_id)
            # As if the form had been sent at the end of that visit.
            at = tracked.last_activity_at
            lead.created_at = lead.stage_changed_at = at
            await crm.flush()
            await crm.execute(
                update(LeadStage).where(LeadStage.lead_id == lead.lead_id).values(created_at=at)
            )
            target = _target(rng)
            value = Decimal(rng.choice((1_500, 4_900, 12_000, 35_000, 80_000)))
            path = ["new", "qualified", "lost"] if target == "lost" else PATH
            when = at
            for stage in path[1 : path.index(target) + 1]:
                # Never in the future: the latest leads move along within the hours left.
                when = min(when + timedelta(days=rng.uniform(0.5, 4)), now - timedelta(minutes=5))
                changed = await change_stage(
                    crm,
                    lead,
                    StageChange(
                        stage,
                        changed_by="vendas@exemplo.com.br",
                        source="ui",
                        stage_value=value if stage in ("proposal", "negotiation", "won") else None,
                        reason="Sem orçamento este trimestre" if stage == "lost" else None,
                    ),
                )
                changed.created_at = when
                lead.stage_changed_at = when
            counts[target] = counts.get(target, 0) + 1
            if target in ("proposal", "negotiation", "won", "lost"):
                crm.add(
                    Deal(
                        lead_id=lead.lead_id,
                        contact_id=lead.contact_id,
                        name=f"{company or lead.name} - plano anual",
                        value=value,
                        stage=target,
                        probability=changed.probability,
                        expected_close_date=(at + timedelta(days=30)).date(),
                        closed_at=when if target in ("won", "lost") else None,
                    )
                )
            if target in ("qualified", "proposal", "negotiation"):
                crm.add(
                    Task(
                        lead_id=lead.lead_id,
                        contact_id=lead.contact_id,
                        title=rng.choice(("Ligar para o lead", "Enviar proposta", "Agendar demo")),
                        due_at=datetime.now(UTC) + timedelta(days=rng.randint(-2, 7)),
                    )
                )
            if rng.random() < 0.4:
                crm.add(
                    Note(
                        lead_id=lead.lead_id,
                        contact_id=lead.contact_id,
                        body=rng.choice(
                            (
                                "Veio pelo anúncio da Black Friday.",
                                "Pediu desconto à vista no PIX.",
                                "Decisor é o sócio; reunião na próxima semana.",
                            )
                        ),
                    )
                )
    summary = ", ".join(f"{stage} {counts.get(stage, 0)}" for stage in (*PATH, "lost"))
    return f"CRM: {len(chosen)} leads from the demo traffic ({summary})"
