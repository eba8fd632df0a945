"""Demo funnel: a course launch with one step of every type (capture → VSL → checkout →
upsell → downsell → thank you), the offers' checkout configs, Meta / Google / TikTok
pixels, the built-in static PIX as its gateway, and payments in every status.

Payments are made and moved through the payments' own services, each on a demo session
of the course site that came from an ad (so its sale is credited to that campaign): the
worker then turns each paid one into its lead, purchase conversion and won deal, as a
real sale would be, and the refunded and charged-back ones into money given back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from rastro.auth.service import credentials
from rastro.core.db import Scope
from rastro.core.module import DemoContext
from rastro.core.pagination import PageParams
from rastro.core.security import Keyring
from rastro.funnels.builder import schemas
from rastro.funnels.builder.service import checkout, funnels, pixels, steps
from rastro.funnels.payments.schemas import CustomerIn, PaymentCreate
from rastro.funnels.payments.service import payments
from rastro.tracking.service import config, reads

SITE = "https://curso.exemplo.com.br"
PIX_KEY = "financeiro@curso.exemplo.com.br"

STEPS: tuple[tuple[str, str, dict[str, Any], dict[str, Any]], ...] = (
    (
        "capture",
        "Aula gratuita",
        {},
        {
            "headline": "Aula gratuita: tráfego pago que vende",
            "subheadline": "Descubra quanto cada campanha realmente fatura",
            "button_text": "Quero assistir",
            "privacy_note": "Seus dados ficam só com a gente (LGPD).",
        },
    ),
    (
        "vsl",
        "Apresentação",
        {"cta_delay_seconds": 30},
        {
            "headline": "O método em 12 minutos",
            "video": {"provider": "youtube", "video_id": "dQw4w9WgXcQ"},
            "button_text": "Quero garantir minha vaga",
        },
    ),
    (
        "checkout",
        "Checkout",
        {"pix_expires_minutes": 30},
        {
            "headline": "Curso Tráfego que Vende",
            "button_text": "Gerar PIX",
            "guarantee_text": "Garantia incondicional de 7 dias.",
        },
    ),
    (
        "upsell",
        "Mentoria",
        {"accept_step": "obrigado", "decline_step": "essencial"},
        {"headline": "Leve também a mentoria em grupo", "accept_text": "Sim, quero a mentoria"},
    ),
    (
        "downsell",
        "Essencial",
        {"accept_step": "obrigado", "decline_step": "obrigado"},
        {"headline": "Que tal só os modelos de campanha?"},
    ),
    ("thankyou", "Obrigado", {}, {"headline": "Compra confirmada! Confira seu e-mail."}),
)
SLUGS = {
    "capture": "aula",
    "vsl": "apresentacao",
    "checkout": "checkout",
    "upsell": "mentoria",
    "downsell": "essencial",
    "thankyou": "obrigado",
}
OFFERS = {
    "checkout": ("Curso Tráfego que Vende", Decimal("297.00")),
    "upsell": ("Mentoria em grupo", Decimal("197.00")),
    "downsell": ("Modelos de campanha", Decimal("47.00")),
}
PIXELS: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("facebook", "100000000000001", None, None),
    ("facebook", "100000000000001", "capture", "Lead"),
    ("facebook", "100000000000001", "checkout", "InitiateCheckout"),
    ("facebook", "100000000000001", "thankyou", "Purchase"),
    ("google", "AW-123456789/AbCdEfGhIj", "thankyou", "Purchase"),
    ("tiktok", "C0DEMOPIXEL000000000", None, None),
)


@dataclass(frozen=True)
class Sale:
    """One demo payment: which offer, its buyer, where it ends, how long ago."""

    offer: str
    buyer: str
    status: str  # the status it ends in
    age: timedelta


SALES = (
    Sale("checkout", "Ana Lima", "paid", timedelta(days=6)),
    Sale("upsell", "Ana Lima", "paid", timedelta(days=6)),
    Sale("checkout", "Bruno Costa", "paid", timedelta(days=4)),
    Sale("downsell", "Bruno Costa", "paid", timedelta(days=4)),
    Sale("checkout", "Carla Dias", "paid", timedelta(days=2)),
    Sale("checkout", "Daniel Rocha", "refunded", timedelta(days=5)),
    Sale("checkout", "Eduarda Melo", "chargedback", timedelta(days=3)),
    Sale("checkout", "Fábio Nunes", "expired", timedelta(days=1)),
    Sale("checkout", "Gabriela Pires", "cancelled", timedelta(days=1)),
    Sale("checkout", "Hugo Alves", "failed", timedelta(hours=20)),
    Sale("checkout", "Isabela Souza", "pending", timedelta(minutes=10)),
)
# The moves to each final status (the payments' own rule allows each one).
PATHS = {
    "paid": ("paid",),
    "refunded": ("paid", "refunded"),
    "chargedback": ("paid", "chargedback"),
    "expired": ("expired",),
    "cancelled": ("cancelled",),
    "failed": ("failed",),
    "pending": (),
}


def _email(name: str) -> str:
    first, last = name.lower().replace("á", "a").split()
    return f"{first}.{last}@exemplo.com.br"


async def load_demo(context: DemoContext) -> str | None:
    if not context.encryption_key:
        return None
    keyring = Keyring(context.encryption_key)
    scope = Scope.organization(context.organization_id)
    async with context.databases.crm.transaction(scope) as session:
        domains, _ = await config.list_domains(session, PageParams(page=1, page_size=50))
        domain = next((d for d in domains if d.domain_url == SITE), None)
        if domain is None:
            return None
        funnel = await funnels.create_funnel(
            session,
            body=schemas.FunnelCreate(
                name="Lançamento — Tráfego que Vende",
                slug="trafego-que-vende",
                niche="Infoproduto",
                domain_id=domain.domain_id,
            ),
            created_by=None,
        )
        made: dict[str, uuid.UUID] = {}
        first_page = ""
        for kind, name, settings, content in STEPS:
            step = await steps.create_step(
                session,
                funnel.id,
                body=schemas.StepCreate(
                    name=name, slug=SLUGS[kind], step_type=kind, settings=settings, content=content
                ),
            )
            made[kind] = step.id
            first_page = first_page or step.public_path
        for kind, (product, price) in OFFERS.items():
            await checkout.put_checkout_config(
                session,
                funnel.id,
                made[kind],
                body=schemas.CheckoutConfigIn(product_name=product, product_price=price),
            )
        for pixel_type, pixel_id, on_step, event_name in PIXELS:
            await pixels.create_pixel(
                session,
                body=schemas.PixelCreate(
                    funnel_id=funnel.id,
                    step_id=made[on_step] if on_step else None,
                    pixel_type=pixel_type,
                    pixel_id=pixel_id,
                    event_name=event_name,
                ),
            )
        pix = await credentials.create_credential(
            session,
            keyring,
            name="PIX (chave do curso)",
            service="pix_static",
            api_key=PIX_KEY,
            api_secret=None,
            api_url=None,
            settings={"merchant_name": "CURSO EXEMPLO", "merchant_city": "SAO PAULO"},
            is_active=True,
            created_by_id=None,
        )
    async with context.databases.bi.transaction(scope) as bi:
        # Recent sessions of the course site that came from an ad.
        visits = await reads.campaign_sessions(
            bi,
            domain_id=domain.domain_id,
            started_from=datetime.now(UTC) - timedelta(days=8),
            limit=200,
        )
    now = datetime.now(UTC)
    firsts: dict[str, uuid.UUID] = {}
    async with context.databases.crm.transaction(scope) as session:
        for n, sale in enumerate(SALES):
            product, price = OFFERS[sale.offer]
            session_id, visitor_id = visits[n % len(visits)] if visits else (None, None)
            created = await payments.create_payment(
                session,
                keyring,
                body=PaymentCreate(
                    amount=price,
                    product_name=product,
                    customer=CustomerIn(name=sale.buyer, email=_email(sale.buyer)),
                    credential_id=pix.id,
                    funnel_id=funnel.id,
                    step_id=made[sale.offer],
                    session_id=session_id,
                    visitor_id=visitor_id,
                    parent_payment_id=firsts.get(sale.buyer) if sale.offer != "checkout" else None,
                ),
                idempotency_key=f"demo:{n}",
                webhook_base_url=None,
            )
            payment = created.payment
            firsts.setdefault(sale.buyer, payment.id)
            for step_n, status in enumerate(PATHS[sale.status]):
                at = now - sale.age + timedelta(minutes=5 + step_n * 60 * 24)
                await payments.apply_status(
                    session, payment, status, at=min(at, now), paid_at=now - sale.age
                )
    return f"  Demo funnel: {first_page} ({len(SALES)} payments in every status)"
