"""A firing's e-mail (issue 18 part 6): one mail per member recipient of the rule, in the
member's language, when the firing opens and when it resolves — what was watched, on
which subject, the days' values, and a link to the alerts page.

Every text comes from the rule, the firing and the organization (the e-mail module escapes
it). Recipients who are no longer active members are skipped. The delivery succeeds when
every remaining recipient's mail was taken by the sender; a temporary refusal retries the
whole delivery (mails are few, and a duplicate alert mail is harmless against a lost one).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rastro.analytics.health_models import AlertEvent, AlertRule
from rastro.auth.service.accounts import MemberContact
from rastro.email.service import system_mail
from rastro.email.service.system_mail import Notice, SystemMailResult

KIND = "analytics.alert"

TEXTS: dict[str, dict[str, str]] = {
    "pt-BR": {
        "subject.opened": "Alerta: {rule} — {subject}",
        "subject.resolved": "Alerta resolvido: {rule} — {subject}",
        "intro.opened": "A regra \u201c{rule}\u201d disparou em {organization}: {metric} "
        "{comparator} {threshold} em cada um dos últimos {days} dias completos.",
        "intro.resolved": "A regra \u201c{rule}\u201d deixou de disparar em {organization}: "
        "{metric} não ficou {comparator} {threshold} em algum dos últimos dias.",
        "subject.all": "todo o gasto",
        "subject.campaign": "campanha {name} ({platform})",
        "day": "{day}: {value}",
        "day.none": "{day}: sem valor",
        "button": "Ver alertas",
        "footer": "Você recebe este e-mail porque está entre os destinatários desta regra. "
        "Para deixar de receber, peça a um administrador para tirar você da regra.",
        "below": "abaixo de",
        "above": "acima de",
        "real_roas": "ROAS real",
        "real_cpa": "CPA real",
        "cpl": "custo por lead",
        "spend_pace": "ritmo de gasto",
        "no_session_spend_share": "parcela do gasto sem sessões",
    },
    "en": {
        "subject.opened": "Alert: {rule} — {subject}",
        "subject.resolved": "Alert resolved: {rule} — {subject}",
        "intro.opened": "The rule \u201c{rule}\u201d fired in {organization}: {metric} "
        "{comparator} {threshold} on each of the last {days} complete days.",
        "intro.resolved": "The rule \u201c{rule}\u201d no longer fires in {organization}: "
        "{metric} was not {comparator} {threshold} on one of the last days.",
        "subject.all": "all spend",
        "subject.campaign": "campaign {name} ({platform})",
        "day": "{day}: {value}",
        "day.none": "{day}: no value",
        "button": "See alerts",
        "footer": "You get this e-mail because you are among this rule's recipients. To "
        "stop it, ask an administrator to take you off the rule.",
        "below": "below",
        "above": "above",
        "real_roas": "real ROAS",
        "real_cpa": "real CPA",
        "cpl": "cost per lead",
        "spend_pace": "spend pace",
        "no_session_spend_share": "share of spend with no sessions",
    },
}


@dataclass(frozen=True)
class AlertMailContext:
    organization: str
    public_url: str


def _number(value: Any, lang: str) -> str:
    if value is None:
        return ""
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    text = f"{amount:,.2f}"
    if lang == "pt-BR":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def _subject_text(subject: dict[str, Any], texts: dict[str, str]) -> str:
    if subject.get("scope") == "all" or not subject.get("campaign_id"):
        return texts["subject.all"]
    name = subject.get("campaign_name") or subject.get("campaign_id")
    return texts["subject.campaign"].format(name=name, platform=subject.get("platform", ""))


def notice(
    *,
    member: MemberContact,
    rule: AlertRule,
    event: AlertEvent,
    transition: str,
    context: AlertMailContext,
) -> Notice:
    """The mail of one transition of a firing, for one member."""
    lang = system_mail.language(member.locale)
    texts = TEXTS[lang]
    metric = texts.get(rule.metric, rule.metric)
    subject = _subject_text(event.subject or {}, texts)
    values = {
        "rule": rule.name,
        "subject": subject,
        "organization": context.organization,
        "metric": metric,
        "comparator": texts.get(rule.comparator, rule.comparator),
        "threshold": _number(rule.threshold, lang),
        "days": rule.window_days,
    }
    figures = (
        event.resolved_figures
        if transition == "resolved" and event.resolved_figures
        else event.figures
    ) or []
    lines = [
        (texts["day"] if f.get("value") is not None else texts["day.none"]).format(
            day=f.get("day"), value=_number(f.get("value"), lang)
        )
        for f in figures
    ]
    return Notice(
        locale=member.locale,
        subject=texts[f"subject.{transition}"].format(**values),
        paragraphs=[texts[f"intro.{transition}"].format(**values), *lines],
        button=texts["button"],
        link=f"{context.public_url.rstrip('/')}/analytics/alerts",
        footer=texts["footer"],
    )


async def send(
    settings: Any,
    members: list[MemberContact],
    *,
    rule: AlertRule,
    event: AlertEvent,
    transition: str,
    context: AlertMailContext,
    delivery_id: uuid.UUID,
) -> SystemMailResult:
    """Send the transition's mail to each member; the first refusal decides the outcome."""
    if not members:
        return SystemMailResult("failed", "No active member among the recipients.")
    for member in members:
        result = await system_mail.send_system_mail(
            settings,
            notice(member=member, rule=rule, event=event, transition=transition, context=context),
            to=member.email,
            kind=KIND,
            subject_id=delivery_id,
        )
        if result.outcome != "sent":
            return result
    return SystemMailResult("sent")
