"""Rendering claimed messages into mails for their recipients: merge fields, links
rewritten to signed tracking URLs, the open pixel and the unsubscribe link.

A campaign's HTML, subject and text are compiled once (`content.compile_html`,
`content.compile_merge`, cached by their text); each message then only fills its merge
fields and signs its five-or-so tokens with the organization's key taken once
(`tokens.signer`). A template the compiled path cannot guarantee (`compile_html` returns
None) is rendered per message with `merge` + `rewrite_links` + `with_footer`, which is
also the reference the compiled path is tested against.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.crm.service import people
from rastro.email.models import Campaign, Link
from rastro.email.senders.base import OutgoingMail
from rastro.email.service import content, tokens, variants


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message claimed for sending, with what rendering it needs."""

    message_id: uuid.UUID
    organization_id: uuid.UUID
    campaign_id: uuid.UUID
    contact_id: uuid.UUID
    variant: int | None
    fields: dict[str, Any]
    attributes: dict[str, Any]
    refused: bool = False  # no longer sendable: failed by the claim, never rendered


@dataclass(frozen=True)
class Links:
    """The public URLs of one message (tracking base from `RASTRO_PUBLIC_URL`)."""

    base_url: str
    secret: str

    def urls(self, organization_id: uuid.UUID) -> MessageUrls:
        return MessageUrls(self.base_url, tokens.signer(self.secret, organization_id))


@dataclass(frozen=True)
class MessageUrls:
    """One organization's tracking URLs, signed with its key."""

    base_url: str
    sign: Callable[[tokens.Kind, uuid.UUID, int], str]

    def click(self, message_id: uuid.UUID, link_id: int) -> str:
        return f"{self.base_url}/e/c/{self.sign('c', message_id, link_id)}"

    def pixel(self, message_id: uuid.UUID) -> str:
        return f"{self.base_url}/e/o/{self.sign('o', message_id, 0)}.gif"

    def unsubscribe(self, message_id: uuid.UUID) -> str:
        return f"{self.base_url}/e/u/{self.sign('u', message_id, 0)}"

    def tracked(
        self, message_id: uuid.UUID, link_ids: dict[str, int]
    ) -> Callable[[str], str | None]:
        def tracked(url: str) -> str | None:
            link_id = link_ids.get(url)
            return None if link_id is None else self.click(message_id, link_id)

        return tracked


async def render(
    crm: AsyncSession, campaign: Campaign, messages: list[Claimed], links: Links
) -> list[OutgoingMail]:
    """The mails of `messages` (those whose contact has an address), in their order."""
    if not messages:
        return []
    found = await people.people_by_id(crm, contact_ids=[m.contact_id for m in messages])
    link_ids: dict[str, int] = dict(
        (
            await crm.execute(
                select(Link.url, Link.link_id).where(Link.campaign_id == campaign.campaign_id)
            )
        ).all()
    )
    one = renderer(campaign, links.urls(campaign.organization_id), link_ids)
    mails = []
    for message in messages:
        person = found.get(message.contact_id)
        if person is None:
            continue
        recipient = content.Recipient(
            person.email,
            person.name,
            message.attributes,
            {str(k): str(v) for k, v in (message.fields or {}).items()},
        )
        mails.append(one(message, recipient))
    return mails


def renderer(
    campaign: Campaign, urls: MessageUrls, link_ids: dict[str, int]
) -> Callable[[Claimed, content.Recipient], OutgoingMail]:
    """How this campaign's messages are rendered: from its compiled templates, or per
    message when its HTML cannot be compiled (or, never in practice, the tracking base URL
    has a character `compile_html` counts on the unsubscribe URL not having)."""
    compiled = content.compile_html(campaign.html)
    if compiled is None or any(c in urls.base_url for c in "\"'<> \t\r\n"):
        return lambda message, recipient: render_one(campaign, message, recipient, urls, link_ids)
    return _compiled(campaign, compiled, urls, link_ids)


def _compiled(
    campaign: Campaign,
    compiled: content.CompiledHtml,
    urls: MessageUrls,
    link_ids: dict[str, int],
) -> Callable[[Claimed, content.Recipient], OutgoingMail]:
    text = content.compile_merge(campaign.text)
    subjects: dict[int | None, content.Merge] = {}

    def one(message: Claimed, recipient: content.Recipient) -> OutgoingMail:
        message_id = message.message_id
        unsubscribe_url = urls.unsubscribe(message_id)
        extra = {content.UNSUBSCRIBE_FIELD: unsubscribe_url}
        subject = subjects.get(message.variant)
        if subject is None:
            subject = content.compile_merge(variants.subject_of(campaign, message.variant))
            subjects[message.variant] = subject
        return OutgoingMail(
            message_id=message_id,
            to=recipient.email,
            from_name=campaign.from_name,
            from_address=campaign.from_address,
            reply_to=campaign.reply_to,
            subject=content.fill(subject, recipient, escape=False, extra={}),
            html=content.render_html(
                compiled,
                recipient,
                extra=extra,
                tracked=urls.tracked(message_id, link_ids),
                footer=content.footer_html(
                    pixel_url=urls.pixel(message_id),
                    unsubscribe_url=unsubscribe_url,
                    has_link=compiled.has_link,
                ),
            ),
            text=content.fill(text, recipient, escape=False, extra=extra),
            unsubscribe_url=unsubscribe_url,
        )

    return one


def render_one(
    campaign: Campaign,
    message: Claimed,
    recipient: content.Recipient,
    urls: MessageUrls,
    link_ids: dict[str, int],
) -> OutgoingMail:
    """One message rendered from the campaign's texts as they are (merge, then links,
    then the footer): any template, and the reference of the compiled path."""
    unsubscribe_url = urls.unsubscribe(message.message_id)
    extra = {content.UNSUBSCRIBE_FIELD: unsubscribe_url}
    html = content.merge(campaign.html, recipient, escape=True, extra=extra)
    html = content.rewrite_links(html, urls.tracked(message.message_id, link_ids))
    html = content.with_footer(
        html,
        pixel_url=urls.pixel(message.message_id),
        unsubscribe_url=unsubscribe_url,
        has_link=content.mentions_unsubscribe(campaign.html),
    )
    return OutgoingMail(
        message_id=message.message_id,
        to=recipient.email,
        from_name=campaign.from_name,
        from_address=campaign.from_address,
        reply_to=campaign.reply_to,
        subject=content.merge(
            variants.subject_of(campaign, message.variant), recipient, escape=False, extra={}
        ),
        html=html,
        text=content.merge(campaign.text, recipient, escape=False, extra=extra),
        unsubscribe_url=unsubscribe_url,
    )
