"""Background work of the e-mail module: generating a campaign's messages, sending them,
starting scheduled campaigns, running the sequences and recounting the daily aggregates.
Each job takes ids, commits one batch per transaction and can run again safely."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import procrastinate

from rastro.core.db import SYSTEM, Scope
from rastro.core.jobs import job_context
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from rastro.email.senders.base import MailSender
from rastro.email.service import aggregates, campaigns, generation, scheduling, sending
from rastro.email.service.sequences import runner

blueprint = procrastinate.Blueprint()


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
async def send_campaign(organization_id: str, campaign_id: str) -> int:
    """Send a campaign's queued messages batch by batch (each batch's claim committed
    before it is sent, its results after); returns batches."""
    context = job_context()
    settings = context.settings
    scope = Scope.organization(uuid.UUID(organization_id))
    links = sending.Links(
        base_url=settings.public_url.rstrip("/"), secret=settings.secret_key_value
    )
    async with context.databases.crm.transaction(scope) as crm:
        campaign = await campaigns.get_campaign(crm, campaign_id=uuid.UUID(campaign_id))
        sender = await sending.sender_for(crm, Keyring(settings.encryption_key_value), campaign)
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


def register(app: procrastinate.App) -> None:
    app.add_tasks_from(blueprint, namespace="email")
