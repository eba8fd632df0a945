"""Background work of the e-mail module: generating a campaign's messages, sending them,
deciding A/B subject tests, starting scheduled campaigns, running the sequences,
resuming campaigns whose job failed, recounting the daily aggregates, storing the events
of clicks a stopped server left queued, importing CSVs of contacts, sending double opt-in
confirmations and deleting abandoned uploads. Each job
takes ids, commits one batch per transaction and can run again safely."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import procrastinate
import structlog

from rastro.core.db import SYSTEM, Scope
from rastro.core.jobs import job_context
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from rastro.email.senders.base import MailSender
from rastro.email.service import (
    ab_winner,
    aggregates,
    campaigns,
    click_drain,
    generation,
    import_rows,
    imports,
    recovery,
    scheduling,
    sending,
    subscriptions,
)
from rastro.email.service.sequences import runner

log = structlog.get_logger(__name__)
blueprint = procrastinate.Blueprint()
ABANDONED_UPLOAD_AGE = timedelta(days=1)


@blueprint.task(name="generate_messages", queue="email")
async def generate_messages(organization_id: str, campaign_id: str) -> int:
    """Generate a campaign's messages, one committed batch at a time; returns batches."""
    databases = job_context().databases
    scope = Scope.organization(uuid.UUID(organization_id))
    batches, more = 0, True
    while more:
        async with databases.crm.transaction(scope) as crm:
            more = await generation.generate_batch(crm, campaign_id=uuid.UUID(campaign_id))
        batches += 1
    return batches


@blueprint.task(name="send_campaign", queue="email")
async def send_campaign(organization_id: str, campaign_id: str, part: int = 0) -> int:
    """Send a campaign's queued messages batch by batch (each batch's claim committed
    before it is sent, its results after); returns batches. With `EMAIL_SEND_PARTS` above
    one, the campaign's job (part 0) queues the other parts, which claim their own
    batches of the same campaign, each with its share of the sender's rate."""
    context = job_context()
    settings = context.settings
    scope = Scope.organization(uuid.UUID(organization_id))
    links = sending.Links(
        base_url=settings.public_url.rstrip("/"), secret=settings.secret_key_value
    )
    async with context.databases.crm.transaction(scope) as crm:
        campaign = await campaigns.get_campaign(crm, campaign_id=uuid.UUID(campaign_id))
        parts = await sending.sending_parts(crm, campaign, settings.email_send_parts)
        sender = await sending.sender_for(
            crm, Keyring(settings.encryption_key_value), campaign, parts=parts
        )
        if part == 0 and parts > 1 and campaign.status == "sending":
            await sending.enqueue_parts(crm, campaign, parts)
    crm_units = TransactionBoundary(context.databases.crm)  # claim, then results, per batch
    bi_units = TransactionBoundary(context.databases.bi)
    batches, more = 0, True
    while more:
        more = await sending.send_batch(
            crm_units,
            bi_units,
            scope,
            campaign_id=uuid.UUID(campaign_id),
            sender=sender,
            links=links,
        )
        batches += 1
    return batches


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="start_scheduled", queue="email", queueing_lock="email.start_scheduled")
async def start_scheduled(timestamp: int) -> int:
    """Every minute: start the scheduled campaigns that are due."""
    databases = job_context().databases
    async with databases.crm.transaction(SYSTEM) as crm:
        due = await scheduling.due_campaigns(crm)
    for organization_id, campaign_id in due:
        async with databases.crm.transaction(Scope.organization(organization_id)) as crm:
            await sending.start_sending(crm, campaign_id=campaign_id)
    return len(due)


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="resume_campaigns", queue="email", queueing_lock="email.resume")
async def resume_campaigns(timestamp: int) -> int:
    """Every minute: queue again the generation or sending of campaigns whose job failed
    (`recovery`); returns how many were resumed."""
    databases = job_context().databases
    async with databases.crm.transaction(SYSTEM) as crm:
        stalled = await recovery.stalled_campaigns(crm)
    resumed = 0
    for found in stalled:
        async with databases.crm.transaction(Scope.organization(found.organization_id)) as crm:
            resumed += await recovery.resume(crm, stalled=found)
    if resumed:
        log.info("email.campaigns_resumed", count=resumed)
    return resumed


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="refresh_aggregates", queue="email", queueing_lock="email.refresh")
async def refresh_aggregates(timestamp: int) -> int:
    """Every minute: recount the daily figures of campaigns with new events."""
    databases = job_context().databases
    async with databases.bi.transaction(SYSTEM) as bi:
        stale = await aggregates.stale_campaigns(bi)
    for organization_id, campaign_id in stale:
        async with databases.bi.transaction(Scope.organization(organization_id)) as bi:
            await aggregates.refresh_daily(bi, campaign_id=campaign_id)
    return len(stale)


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="drain_clicks", queue="email", queueing_lock="email.drain_clicks")
async def drain_clicks(timestamp: int) -> int:
    """Every minute: store the events of clicks a stopped server process acknowledged but
    did not drain (`click_drain.sweep`); returns how many."""
    drained = await click_drain.sweep(job_context().databases)
    if drained:
        log.info("email.clicks_drained", count=drained)
    return drained


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="run_sequences", queue="email", queueing_lock="email.sequences")
async def run_sequences(timestamp: int) -> int:
    """Every minute: advance the sequences' due enrollments, one committed batch at a
    time per organization, then send the step e-mails they queued; returns enrollments."""
    context = job_context()
    databases, settings = context.databases, context.settings
    now = datetime.now(UTC)
    links = sending.Links(
        base_url=settings.public_url.rstrip("/"), secret=settings.secret_key_value
    )
    keyring = Keyring(settings.encryption_key_value)
    crm_units, bi_units = TransactionBoundary(databases.crm), TransactionBoundary(databases.bi)
    async with databases.crm.transaction(SYSTEM) as crm:
        organizations = await runner.due_organizations(crm, now=now)
    advanced = 0
    for organization_id in organizations:
        scope = Scope.organization(organization_id)
        more = True
        while more:
            async with databases.crm.transaction(scope) as crm:
                done = await runner.advance_due(crm, now=now)
            advanced += done.enrollments
            more = done.enrollments == runner.ADVANCE_BATCH
        async with databases.crm.transaction(scope) as crm:
            campaign_ids = await runner.campaigns_to_send(crm, now=now)
        for campaign_id in campaign_ids:
            async with databases.crm.transaction(scope) as crm:
                campaign = await runner.step_campaign(crm, campaign_id=campaign_id)
                if campaign is None:
                    continue
                sender: MailSender = await sending.sender_for(crm, keyring, campaign)
            more = True
            while more:
                claimed = await runner.send_step(
                    crm_units,
                    bi_units,
                    scope,
                    campaign_id=campaign_id,
                    sender=sender,
                    links=links,
                    now=now,
                )
                more = claimed == sending.SEND_BATCH
    return advanced


@blueprint.task(name="import_contacts", queue="email")
async def import_contacts(organization_id: str, import_id: str) -> int:
    """Import a CSV's contacts, one committed batch at a time, from where the last run
    stopped; returns batches."""
    databases = job_context().databases
    scope = Scope.organization(uuid.UUID(organization_id))
    async with databases.crm.transaction(scope) as crm:
        plan = await import_rows.load_plan(crm, import_id=uuid.UUID(import_id))
    batches, more = 0, plan is not None
    try:
        while more and plan is not None:
            async with databases.crm.transaction(scope) as crm:
                more = await import_rows.import_batch(crm, plan=plan)
            batches += 1
    except Exception:
        # The page stops waiting; the committed batches stay (the error is logged by class).
        async with databases.crm.transaction(scope) as crm:
            await import_rows.mark_failed(crm, import_id=uuid.UUID(import_id))
        raise
    return batches


@blueprint.task(name="send_confirmation", queue="email")
async def send_confirmation(organization_id: str, contact_id: str, form_id: str) -> str:
    """Send a double opt-in confirmation e-mail; returns the outcome."""
    context = job_context()
    settings = context.settings
    scope = Scope.organization(uuid.UUID(organization_id))
    async with context.databases.crm.transaction(scope) as crm:
        result = await subscriptions.send_confirmation(
            crm,
            keyring=Keyring(settings.encryption_key_value),
            contact_id=uuid.UUID(contact_id),
            form_id=uuid.UUID(form_id),
            base_url=settings.public_url,
            secret=settings.secret_key_value,
        )
    return result.outcome if result is not None else "skipped"


@blueprint.task(name="choose_ab_winner", queue="email")
async def choose_ab_winner(organization_id: str, campaign_id: str) -> int | None:
    """Decide a campaign's A/B subject test and send the winner to the rest."""
    databases = job_context().databases
    async with databases.crm.transaction(Scope.organization(uuid.UUID(organization_id))) as crm:
        return await ab_winner.choose_winner(crm, campaign_id=uuid.UUID(campaign_id))


@blueprint.periodic(cron="17 * * * *")
@blueprint.task(name="purge_abandoned_imports", queue="email", queueing_lock="email.purge_imports")
async def purge_abandoned_imports(timestamp: int) -> int:
    """Hourly: delete CSV uploads never started after a day (their files hold personal data)."""
    async with job_context().databases.crm.transaction(SYSTEM) as crm:
        return await imports.purge_abandoned(crm, older_than=ABANDONED_UPLOAD_AGE)


def register(app: procrastinate.App) -> None:
    app.add_tasks_from(blueprint, namespace="email")
