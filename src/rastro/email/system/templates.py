"""The texts of Rastro's own e-mails in pt-BR and English, as HTML and plain text.

Every value that comes from people (an organization's name, an inviter's or user's name)
is HTML-escaped in the HTML part; the link is built by Rastro (public URL + a URL-safe
token in the fragment) and escaped too. Any locale that does not start with "pt" gets
English.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from string import Template


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def language(locale: str | None) -> str:
    return "pt-BR" if (locale or "").lower().startswith("pt") else "en"


ROLES = {
    "pt-BR": {
        "admin": "Administrador",
        "manager": "Gerente",
        "analyst": "Analista",
        "viewer": "Leitor",
    },
    "en": {"admin": "Admin", "manager": "Manager", "analyst": "Analyst", "viewer": "Viewer"},
}

# $-placeholders (string.Template): values are escaped before substitution in HTML.
TEXTS: dict[str, dict[str, str]] = {
    "pt-BR": {
        "invitation.subject": "Convite para $organization no Rastro",
        "invitation.intro": "$inviter convidou você para entrar em $organization no Rastro "
        "como $role.",
        "invitation.intro_anonymous": "Você foi convidado para entrar em $organization no "
        "Rastro como $role.",
        "invitation.action_new": "Crie sua conta para aceitar o convite:",
        "invitation.action_existing": "Você já tem uma conta: abra o link, entre e aceite o "
        "convite.",
        "invitation.button": "Aceitar convite",
        "invitation.expires": "O convite vale até $expires (UTC). Ninguém entra na "
        "organização sem aceitar.",
        "invitation.ignore": "Se você não esperava este convite, ignore este e-mail.",
        "reset.subject": "Redefinir sua senha do Rastro",
        "reset.greeting": "Olá, $name.",
        "reset.intro": "Recebemos um pedido para redefinir a senha da sua conta no Rastro.",
        "reset.button": "Definir nova senha",
        "reset.expires": "O link vale uma vez, até $expires (UTC). Ao definir a nova senha, "
        "todas as sessões abertas são encerradas.",
        "reset.ignore": "Se não foi você, ignore este e-mail: sua senha continua a mesma.",
    },
    "en": {
        "invitation.subject": "Invitation to $organization on Rastro",
        "invitation.intro": "$inviter invited you to join $organization on Rastro as $role.",
        "invitation.intro_anonymous": "You were invited to join $organization on Rastro as $role.",
        "invitation.action_new": "Create your account to accept the invitation:",
        "invitation.action_existing": "You already have an account: open the link, sign in "
        "and accept the invitation.",
        "invitation.button": "Accept invitation",
        "invitation.expires": "The invitation is valid until $expires (UTC). Nobody joins "
        "the organization without accepting.",
        "invitation.ignore": "If you did not expect this invitation, ignore this e-mail.",
        "reset.subject": "Reset your Rastro password",
        "reset.greeting": "Hello, $name.",
        "reset.intro": "We received a request to reset the password of your Rastro account.",
        "reset.button": "Set a new password",
        "reset.expires": "The link works once, until $expires (UTC). Setting the new "
        "password ends every open session.",
        "reset.ignore": "If this was not you, ignore this e-mail: your password stays the same.",
    },
}

_LAYOUT = Template(
    """<!doctype html>
<html lang="$lang"><head><meta charset="utf-8"><title>$subject</title></head>
<body style="margin:0;padding:24px;background:#f4f4f5;font-family:Arial,Helvetica,sans-serif;\
color:#18181b">
<div style="max-width:520px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px">
<p style="margin:0 0 16px;font-weight:bold;font-size:18px">Rastro</p>
$body
<p style="margin:24px 0 8px"><a href="$link" style="display:inline-block;background:#18181b;\
color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px">$button</a></p>
<p style="margin:8px 0;font-size:12px;color:#52525b;word-break:break-all">$link_text</p>
<p style="margin:16px 0 0;font-size:12px;color:#52525b">$footer</p>
</div></body></html>
"""
)


def _when(moment: datetime, lang: str) -> str:
    return moment.strftime("%d/%m/%Y %H:%M" if lang == "pt-BR" else "%Y-%m-%d %H:%M")


def page(
    lang: str, subject: str, paragraphs: list[str], button: str, link: str, footer: str
) -> str:
    """The HTML part: every argument is plain text and escaped here."""
    body = "\n".join(f'<p style="margin:0 0 12px">{html.escape(p)}</p>' for p in paragraphs)
    return _LAYOUT.substitute(
        lang=lang,
        subject=html.escape(subject),
        body=body,
        link=html.escape(link, quote=True),
        button=html.escape(button),
        link_text=html.escape(link),
        footer=html.escape(footer),
    )


def invitation(
    *,
    locale: str | None,
    organization: str,
    inviter: str | None,
    role: str,
    has_account: bool,
    link: str,
    expires_at: datetime,
) -> Rendered:
    lang = language(locale)
    texts = TEXTS[lang]
    values = {
        "organization": organization,
        "inviter": inviter or "",
        "role": ROLES[lang].get(role, role),
        "expires": _when(expires_at, lang),
    }

    def text(key: str) -> str:
        return Template(texts[key]).substitute(values)

    subject = text("invitation.subject")
    paragraphs = [
        text("invitation.intro" if inviter else "invitation.intro_anonymous"),
        text("invitation.action_existing" if has_account else "invitation.action_new"),
    ]
    footer = f"{text('invitation.expires')} {text('invitation.ignore')}"
    plain = "\n\n".join([*paragraphs, link, footer]) + "\n"
    return Rendered(
        subject=subject,
        html=page(lang, subject, paragraphs, text("invitation.button"), link, footer),
        text=plain,
    )


def password_reset(*, locale: str | None, name: str, link: str, expires_at: datetime) -> Rendered:
    lang = language(locale)
    texts = TEXTS[lang]
    values = {"name": name, "expires": _when(expires_at, lang)}

    def text(key: str) -> str:
        return Template(texts[key]).substitute(values)

    subject = text("reset.subject")
    paragraphs = [text("reset.greeting"), text("reset.intro")]
    footer = f"{text('reset.expires')} {text('reset.ignore')}"
    plain = "\n\n".join([*paragraphs, link, footer]) + "\n"
    return Rendered(
        subject=subject,
        html=page(lang, subject, paragraphs, text("reset.button"), link, footer),
        text=plain,
    )
