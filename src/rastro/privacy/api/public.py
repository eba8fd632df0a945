"""The public privacy page of an organization, `/p/{slug}/privacy`: server-rendered HTML
(no dashboard, no script) that a site links to from its own privacy policy, saying what
Rastro stores about visitors and leads, for how long, and how to exercise one's rights.
Portuguese by default; English with `?lang=en` or a browser that prefers it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, StrictUndefined

from rastro.auth.service import accounts
from rastro.core.db import SYSTEM, Scope, set_scope
from rastro.core.deps import CrmSession
from rastro.core.session import TransactionalRoute
from rastro.privacy.errors import OrganizationNotFound
from rastro.privacy.service import policy

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

TEXT = {
    "pt-BR": {
        "title": "Privacidade",
        "intro": (
            "{org} usa o Rastro, uma plataforma de medição de marketing instalada nos "
            "servidores de {org}, para saber de onde vêm seus visitantes e clientes. "
            "Esta página diz o que é guardado e por quanto tempo."
        ),
        "what": "O que guardamos",
        "kept": "Por quanto tempo",
        "rows": [
            (
                "Visitas",
                "páginas vistas, cliques, origem da visita (campanha, UTM, "
                "identificadores de clique), tipo de aparelho, endereço IP e navegador",
            ),
            ("Formulários", "nome, e-mail, telefone, empresa e mensagem que você enviar"),
            (
                "Compras",
                "produto, valor, forma de pagamento e os dados de comprador que você digitar",
            ),
            ("E-mails", "mensagens enviadas a você, aberturas, cliques e descadastros"),
        ],
        "retention": (
            "Após {months} meses, os dados pessoais são anonimizados: o endereço IP é "
            "apagado, o navegador é reduzido a tipo de aparelho e sistema, e nome, e-mail e "
            "telefone são substituídos por códigos irreversíveis (hash). Os totais "
            "(visitas, conversões) são mantidos sem identificar ninguém."
        ),
        "platforms_title": "Plataformas de anúncios e CRMs",
        "platforms": (
            "Quando uma visita vira cliente, {org} pode informar a conversão às plataformas "
            "de anúncios (Google, Meta e outras) apenas com e-mail e telefone em hash "
            "(SHA-256), e enviar o contato ao CRM de {org}."
        ),
        "rights_title": "Seus direitos (LGPD e GDPR)",
        "rights": (
            "Você pode pedir a {org} uma cópia de tudo que é guardado sobre você, a "
            "correção ou a exclusão dos seus dados. A resposta vem em até 15 dias. "
            "A exclusão também é enviada aos CRMs que aceitam pedidos de exclusão."
        ),
        "lang_link": "English",
        "lang_href": "?lang=en",
    },
    "en": {
        "title": "Privacy",
        "intro": (
            "{org} uses Rastro, a marketing measurement platform running on {org}'s own "
            "servers, to learn where its visitors and customers come from. This page says "
            "what is kept and for how long."
        ),
        "what": "What we keep",
        "kept": "For how long",
        "rows": [
            (
                "Visits",
                "pages viewed, clicks, where the visit came from (campaign, UTM, "
                "click ids), device type, IP address and browser",
            ),
            ("Forms", "the name, e-mail, phone, company and message you send"),
            ("Purchases", "product, amount, payment method and the buyer details you type"),
            ("E-mails", "messages sent to you, opens, clicks and unsubscribes"),
        ],
        "retention": (
            "After {months} months personal data is anonymised: the IP address is deleted, "
            "the browser is reduced to device type and system, and name, e-mail and phone "
            "are replaced by irreversible codes (hashes). Totals (visits, conversions) are "
            "kept without identifying anyone."
        ),
        "platforms_title": "Ad platforms and CRMs",
        "platforms": (
            "When a visit becomes a customer, {org} may report the conversion to ad "
            "platforms (Google, Meta and others) with the e-mail and phone hashed (SHA-256) "
            "only, and send the contact to {org}'s CRM."
        ),
        "rights_title": "Your rights (LGPD and GDPR)",
        "rights": (
            "You can ask {org} for a copy of everything kept about you, for its correction, "
            "or for its deletion. The answer comes within 15 days. A deletion is also sent "
            "to the CRMs that accept deletion requests."
        ),
        "lang_link": "Português",
        "lang_href": "?lang=pt-BR",
    },
}

_TEMPLATE = Environment(autoescape=True, undefined=StrictUndefined).from_string(
    """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ t.title }} · {{ org }}</title>
<style>
body{font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
color:#1f2933;background:#fff}
main{max-width:44rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}h2{font-size:1.15rem;margin:1.8rem 0 .6rem}
table{width:100%;border-collapse:collapse}th,td{text-align:left;vertical-align:top;
padding:.5rem .4rem;border-bottom:1px solid #e4e7eb}th{width:30%}
nav{text-align:right;font-size:.9rem}a{color:#1d4ed8}
</style></head><body><main>
<nav><a href="{{ t.lang_href }}" hreflang="{{ other }}">{{ t.lang_link }}</a></nav>
<h1>{{ t.title }} · {{ org }}</h1>
<p>{{ t.intro.format(org=org) }}</p>
<h2>{{ t.what }}</h2>
<table>{% for name, detail in t.rows %}<tr><th scope="row">{{ name }}</th>
<td>{{ detail }}</td></tr>{% endfor %}</table>
<h2>{{ t.kept }}</h2>
<p>{{ t.retention.format(months=months) }}</p>
<h2>{{ t.platforms_title }}</h2>
<p>{{ t.platforms.format(org=org) }}</p>
<h2>{{ t.rights_title }}</h2>
<p>{{ t.rights.format(org=org) }}</p>
</main></body></html>"""
)


def _language(request: Request, lang: str | None) -> str:
    if lang in TEXT:
        return lang
    accepted = request.headers.get("accept-language", "").lower()
    first = accepted.split(",", 1)[0].strip()
    return "en" if first.startswith("en") else "pt-BR"


@router.get("/p/{organization_slug}/privacy", response_class=HTMLResponse)
async def privacy_page(
    organization_slug: Annotated[str, Path(min_length=1, max_length=100)],
    request: Request,
    session: CrmSession,
    lang: Annotated[str | None, Query(max_length=10)] = None,
) -> HTMLResponse:
    """The organization's public privacy page."""
    await set_scope(session, SYSTEM)  # the organization is found by its public slug
    organization = await accounts.find_organization_by_slug(session, organization_slug)
    if organization is None:
        raise OrganizationNotFound()
    await set_scope(session, Scope.organization(organization.id))
    months = await policy.retention_months(session, organization_id=organization.id)
    language = _language(request, lang)
    html = _TEMPLATE.render(
        lang=language,
        other="en" if language == "pt-BR" else "pt-BR",
        t=TEXT[language],
        org=organization.name,
        months=months,
    )
    return HTMLResponse(html, headers={"Cache-Control": "public, max-age=300"})
