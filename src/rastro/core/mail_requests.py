"""Requests for Rastro's own e-mails (member invitations, password resets), made by modules
that may not import the e-mail module.

The layers put `email` above `auth`: auth knows when a mail is due but cannot reach the
senders. So auth asks here — `request_mail(session, kind=..., subject_id=...)` adds the job
`core:mail.send` in the caller's transaction, so a mail is asked for exactly when the
change that needs it commits — and the e-mail module, which sits above, registers with
`mail_handler(kind)` the function that composes and sends that kind of mail. The handler
reads what it needs through the asking module's service (and mints any one-time token
there, at send time), so only the kind and an id travel in the job: no address, no token
ever rests in the job queue.

A kind without a handler (the e-mail module not loaded) fails the job with a log line
naming the kind and the id only.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import procrastinate
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.jobs import JobContext, enqueue_once, job_context

log = structlog.get_logger(__name__)

SEND_TASK = "core:mail.send"
QUEUE = "mail"

# (the job's context, the id the request names) -> None
MailHandler = Callable[[JobContext, uuid.UUID], Awaitable[None]]
_handlers: dict[str, MailHandler] = {}


def mail_handler(kind: str) -> Callable[[MailHandler], MailHandler]:
    """Register the function that composes and sends mails of `kind` (one per kind)."""

    def register(function: MailHandler) -> MailHandler:
        if kind in _handlers and _handlers[kind] is not function:
            raise RuntimeError(f"mail kind {kind!r} already has a handler")
        _handlers[kind] = function
        return function

    return register


async def request_mail(session: AsyncSession, *, kind: str, subject_id: uuid.UUID) -> None:
    """Ask, in the session's transaction, for a mail of `kind` about `subject_id` (an
    invitation's id, a password reset's id). At most one such job waits per kind and id:
    asking again while one waits (a double submit) sends one mail, made when it runs."""
    args: dict[str, Any] = {"kind": kind, "subject_id": str(subject_id)}
    await enqueue_once(
        session, SEND_TASK, queueing_lock=f"mail:{kind}:{subject_id}", args=args, queue=QUEUE
    )


blueprint = procrastinate.Blueprint()


@blueprint.task(
    name="mail.send",
    queue=QUEUE,
    retry=procrastinate.RetryStrategy(max_attempts=5, exponential_wait=10),
)
async def send(kind: str, subject_id: str) -> None:
    """Hand one mail request to its kind's handler (retried when the handler raises)."""
    handler = _handlers.get(kind)
    if handler is None:
        log.error("mail.no_handler", kind=kind, subject_id=subject_id)
        raise LookupError(f"no handler for mails of kind {kind!r}")
    await handler(job_context(), uuid.UUID(subject_id))


def register(app: procrastinate.App) -> None:
    app.add_tasks_from(blueprint, namespace="core")
