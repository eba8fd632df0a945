"""Payments: a PIX charge created through the organization's gateway (or the built-in
static PIX), read back, confirmed by hand, expired when its time is up, and every
status change through `apply_status`, which never moves a payment backwards.

Idempotency: a payment created with an idempotency key that the organization already
used (the checkout submission's id, or the `Idempotency-Key` header) is the payment
already stored, with nothing sent to the gateway again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import structlog
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.core.db import SYSTEM, Scope, ScopeKind, get_scope, scoped
from rastro.core.errors import Conflict, NotFound, field_error
from rastro.core.ids import uuid7
from rastro.core.pagination import PageParams
from rastro.core.references import UnknownReference, referenced
from rastro.core.security import Keyring
from rastro.funnels.builder.service import steps as funnel_steps
from rastro.funnels.payments import brcode, schemas
from rastro.funnels.payments.errors import GatewayRefused, GatewayUnavailable
from rastro.funnels.payments.gateways import BY_SERVICE, GATEWAYS
from rastro.funnels.payments.gateways.base import ChargeRequest, Customer, Gateway, GatewayError
from rastro.funnels.payments.models import Payment, customer_columns
from rastro.funnels.payments.service import hooks
from rastro.funnels.payments.statuses import Transition, allowed_from, transition

log = structlog.get_logger(__name__)

# Preference when the request names no credential: a bank's own API first.
_SERVICE_ORDER = ("pix_api", "mercadopago", "pagarme", "asaas", "pix_static")


@dataclass(frozen=True)
class Created:
    payment: Payment
    created: bool  # False: the idempotency key's payment, already stored


async def _gateway_credential(
    session: AsyncSession, keyring: Keyring, credential_id: uuid.UUID | None
) -> tuple[Gateway, credentials.ResolvedCredential]:
    if credential_id is not None:
        try:
            stored = await credentials.get_credential(session, credential_id)
        except NotFound:
            raise UnknownReference(field="credential_id", key=credential_id) from None
        gateway = BY_SERVICE.get(stored.service)
        if gateway is None:
            raise field_error("credential_id", "This credential is not a payment gateway's.")
        if not stored.is_active:
            raise field_error("credential_id", "This gateway credential is inactive.")
        return gateway, await credentials.resolve_credential(session, keyring, stored.id)
    for service in _SERVICE_ORDER:
        rows, _ = await credentials.list_credentials(
            session, PageParams(page=1, page_size=50), service=service
        )
        active = [row for row in rows if row.is_active]
        if active:
            resolved = await credentials.resolve_credential(session, keyring, active[0].id)
            return BY_SERVICE[service], resolved
    raise field_error(
        "credential_id",
        "The organization has no active payment gateway (PIX API, Mercado Pago, Pagar.me, "
        "Asaas) nor a static PIX key.",
        kind="missing",
    )


async def _by_key(session: AsyncSession, key: str) -> Payment | None:
    found: Payment | None = await session.scalar(
        select(Payment).where(Payment.idempotency_key == key)
    )
    return found


async def create_payment(
    session: AsyncSession,
    keyring: Keyring,
    *,
    body: schemas.PaymentCreate,
    idempotency_key: str | None,
    webhook_base_url: str | None,
) -> Created:
    """A PIX charge at the organization's gateway, stored pending (or the payment the
    idempotency key already made). 422 for a bad reference or a charge the gateway or
    the BR Code cannot carry; 503 when the gateway is down (nothing is stored)."""
    key = idempotency_key or body.idempotency_key
    if key is not None:
        existing = await _by_key(session, key)
        if existing is not None:
            return Created(existing, created=False)
    if body.parent_payment_id is not None:
        await referenced(session, Payment, body.parent_payment_id, field="parent_payment_id")
    await funnel_steps.check_funnel_step(session, body.funnel_id, body.step_id)
    gateway, credential = await _gateway_credential(session, keyring, body.credential_id)
    payment_id = uuid7()
    now = datetime.now(UTC)
    # ON CONFLICT: a concurrent request with the same key gets the first one's payment.
    inserted = await session.scalar(
        insert(Payment)
        .values(
            id=payment_id,
            organization_id=organization_of(session),
            funnel_id=body.funnel_id,
            step_id=body.step_id,
            session_id=body.session_id,
            visitor_id=body.visitor_id,
            parent_payment_id=body.parent_payment_id,
            gateway=gateway.name,
            credential_id=credential.id,
            txid=payment_id.hex,
            amount=body.amount,
            currency=body.currency,
            status="pending",
            payment_method="pix",
            product_name=body.product_name,
            bump_product_name=body.order_bump.product_name if body.order_bump else None,
            bump_amount=body.order_bump.amount if body.order_bump else None,
            bump_accepted=body.order_bump.accepted if body.order_bump else None,
            **customer_columns(body.customer.model_dump(exclude_none=True, mode="json")),
            status_changed_at=now,
            idempotency_key=key,
        )
        .on_conflict_do_nothing(
            index_elements=["organization_id", "idempotency_key"],
            index_where=Payment.idempotency_key.is_not(None),
        )
        .returning(Payment.id)
    )
    if inserted is None:
        assert key is not None
        stored = await _by_key(session, key)
        assert stored is not None
        return Created(stored, created=False)
    payment = await session.get(Payment, payment_id)
    assert payment is not None
    request = ChargeRequest(
        payment_id=payment_id,
        amount=body.amount,
        currency=body.currency,
        description=_description(body),
        txid=payment_id.hex,
        expires_in=body.expires_in,
        customer=Customer(**body.customer.model_dump(exclude={"address"})),
        notification_url=(
            f"{webhook_base_url}/api/payments/webhook/{gateway.name}" if webhook_base_url else None
        ),
    )
    try:
        charge = await gateway.create_charge(request, credential)
    except brcode.BrCodeError as error:
        raise field_error(error.field, str(error)) from None
    except httpx.HTTPError as error:  # timeouts and network errors, after the retries
        log.warning(
            "payments.charge_failed",
            payment_id=str(payment_id),
            gateway=gateway.name,
            error=type(error).__name__,
        )
        raise GatewayUnavailable(f"{gateway.label} could not be reached.") from None
    except GatewayError as error:
        log.warning(
            "payments.charge_failed",
            payment_id=str(payment_id),
            gateway=gateway.name,
            http_status=error.status,
            transient=error.transient,
        )
        if error.transient:
            raise GatewayUnavailable(str(error)) from None
        raise GatewayRefused(str(error)) from None
    payment.external_id = charge.external_id
    payment.pix_copy_paste = charge.pix_copy_paste
    payment.pix_url = charge.pix_url
    payment.expires_at = charge.expires_at
    payment.gateway_response = charge.response
    await session.flush()
    await hooks.notify(session, _change(payment, previous=None, at=now, status=payment.status))
    if charge.status != "pending":
        await apply_status(session, payment, charge.status, at=now)
    return Created(payment, created=True)


def _description(body: schemas.PaymentCreate) -> str:
    """What the buyer sees on the charge: the product, and the order bump they ticked."""
    bump = body.order_bump
    if bump is None or not bump.accepted:
        return body.product_name
    return f"{body.product_name} + {bump.product_name}"[:255]


def organization_of(session: AsyncSession) -> uuid.UUID:
    """The organization of the session's scope (new rows inserted without the ORM)."""
    scope = get_scope(session)
    if scope is None or scope.kind is not ScopeKind.ORGANIZATION or not scope.organization_id:
        raise RuntimeError("creating a payment needs an organization scope")
    return scope.organization_id


def _change(
    payment: Payment | PaymentRef,
    *,
    previous: str | None,
    at: datetime,
    status: str,
) -> schemas.PaymentStatusChanged:
    """The status change to broadcast (from `previous` to `status`)."""
    return schemas.PaymentStatusChanged(
        payment_id=payment.id,
        organization_id=payment.organization_id,
        funnel_id=payment.funnel_id,
        step_id=payment.step_id,
        session_id=payment.session_id,
        previous=previous,
        status=status,
        amount=payment.amount,
        currency=payment.currency,
        changed_at=at,
    )


async def apply_status(
    session: AsyncSession,
    payment: Payment,
    status: str,
    *,
    at: datetime | None = None,
    paid_at: datetime | None = None,
) -> Transition:
    """Move the payment to `status` when the rule allows it (`statuses.transition`),
    under a row lock, and tell the listeners; a replay or a backwards move changes
    nothing and is returned as such."""
    await session.refresh(payment, with_for_update=True)
    verdict = transition(payment.status, status)
    if verdict is not Transition.APPLY:
        if verdict is Transition.BACKWARDS:
            log.info(
                "payments.status_backwards",
                payment_id=str(payment.id),
                current=payment.status,
                proposed=status,
            )
        return verdict
    now = at or datetime.now(UTC)
    previous = payment.status
    payment.status = status
    payment.status_changed_at = now
    if status == "paid":
        payment.paid_at = paid_at or now
    await session.flush()
    await hooks.notify(session, _change(payment, previous=previous, at=now, status=payment.status))
    return verdict


@dataclass(frozen=True)
class PaymentRef:
    """What a status change tells its listeners about a payment, read without loading it
    (a gateway's webhook: `webhooks.receive_webhook`)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    funnel_id: uuid.UUID | None
    step_id: uuid.UUID | None
    session_id: str | None
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Notified:
    """A gateway's notification of a status, as `move_status` stores it (once per
    gateway, charge and status: `payment_webhooks`)."""

    gateway: str
    external_id: str
    event_id: str | None


# The move, the status it moved from and the notification in one statement: the row
# locked, its status checked against the statuses `status` may follow
# (`statuses.allowed_from`) and updated, the notification stored with its outcome.
_MOVE = text(
    "WITH old AS (SELECT id, status FROM payments WHERE id = :id FOR UPDATE), "
    "moved AS (UPDATE payments AS p SET status = :status, status_changed_at = :at, "
    "paid_at = coalesce(:paid_at, p.paid_at), updated_at = now() "
    "FROM old WHERE p.id = old.id AND old.status = ANY(:allowed) RETURNING p.id), "
    "logged AS (INSERT INTO payment_webhooks (id, organization_id, payment_id, gateway, "
    "external_id, event_id, status, outcome) "
    "SELECT :notification_id, :organization_id, old.id, :gateway, :external_id, :event_id, "
    ":status, CASE WHEN EXISTS (SELECT FROM moved) THEN 'applied' "
    "WHEN old.status = :status THEN 'same' ELSE 'backwards' END FROM old "
    "ON CONFLICT (gateway, external_id, status) DO NOTHING) "
    "SELECT old.status, EXISTS (SELECT FROM moved) FROM old"
)


async def move_status(
    session: AsyncSession,
    payment: PaymentRef,
    status: str,
    notified: Notified,
    *,
    at: datetime | None = None,
    paid_at: datetime | None = None,
) -> Transition:
    """`apply_status` for a payment that is not loaded, as a gateway's notification moves
    it: the same rule and listeners, and the notification stored with its outcome, in
    one statement."""
    now = at or datetime.now(UTC)
    found = (
        await session.execute(
            _MOVE,
            {
                "id": payment.id,
                "status": status,
                "at": now,
                "paid_at": (paid_at or now) if status == "paid" else None,
                "allowed": list(allowed_from(status)),
                "notification_id": uuid7(),
                "organization_id": payment.organization_id,
                "gateway": notified.gateway,
                "external_id": notified.external_id,
                "event_id": (notified.event_id or "")[:255] or None,
            },
        )
    ).one_or_none()
    if found is None:  # deleted since it was read
        raise NotFound("Payment not found.")
    previous, moved = found
    if not moved:
        verdict = transition(previous, status)
        if verdict is Transition.BACKWARDS:
            log.info(
                "payments.status_backwards",
                payment_id=str(payment.id),
                current=previous,
                proposed=status,
            )
        return verdict
    await hooks.notify(session, _change(payment, previous=previous, at=now, status=status))
    return Transition.APPLY


async def get_payment(session: AsyncSession, payment_id: uuid.UUID) -> Payment:
    payment = await session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("Payment not found.")
    return payment


async def confirm_payment(session: AsyncSession, payment_id: uuid.UUID) -> Payment:
    """A static PIX seen in the bank statement: the payment becomes paid (409 unless it is
    a pending, expired or cancelled static PIX)."""
    payment = await get_payment(session, payment_id)
    if payment.gateway != "static_pix":
        raise Conflict(
            "Only a static PIX is confirmed by hand; a gateway's payment is confirmed by "
            "its webhook.",
            details={"gateway": payment.gateway},
        )
    verdict = await apply_status(session, payment, "paid")
    if verdict is Transition.BACKWARDS:
        raise Conflict(
            f"The payment is already {payment.status}.", details={"status": payment.status}
        )
    return payment


async def expire_due(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Every organization's pending charges past their expiry become `expired` (each
    through `apply_status`, in its organization's scope). Returns how many."""
    moment = now or datetime.now(UTC)
    async with scoped(session, SYSTEM):
        due = list(
            await session.execute(
                select(Payment.id, Payment.organization_id)
                .where(Payment.status == "pending", Payment.expires_at <= moment)
                .order_by(Payment.expires_at)
                .limit(1000)
            )
        )
    expired = 0
    for payment_id, organization_id in due:
        async with scoped(session, Scope.organization(organization_id)):
            payment = await session.get(Payment, payment_id)
            if payment is None:
                continue
            verdict = await apply_status(session, payment, "expired", at=moment)
            expired += verdict is Transition.APPLY
    return expired


async def record_outcome(
    session: AsyncSession,
    payment_id: uuid.UUID,
    *,
    status: str,
    lead_id: uuid.UUID | None,
    conversion_id: uuid.UUID | None,
) -> None:
    """Keep the lead and the purchase conversion a sold payment got, and the status whose
    sale this was (the sale is due no more until the status moves on)."""
    await session.execute(
        update(Payment)
        .where(Payment.id == payment_id)
        .values(lead_id=lead_id, conversion_id=conversion_id, sale_status=status)
    )


def gateway_of(name: str) -> Gateway | None:
    return GATEWAYS.get(name)
