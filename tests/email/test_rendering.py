"""Rendering from compiled templates gives, mail for mail, what the per-message path
(merge, rewrite the links, add the footer) gives; templates the compiled path cannot
guarantee fall back to it; tokens signed once per organization equal `tokens.encode`."""

from __future__ import annotations

import uuid

import pytest

from rastro.email.models import Campaign
from rastro.email.service import content, rendering, tokens

ORG = uuid.UUID("0190a000-0000-7000-8000-000000000001")
SECRET = "segredo-de-teste-" * 3
LINK_IDS = {
    "https://loja.com.br/oferta?cupom=X": 11,
    "https://loja.com.br/blog": 12,
    "https://loja.com.br/catalogo?x=1&y=2": 13,
}

COMPILED = [
    # the test campaigns' HTML
    "<html><body><p>Olá {{ name }}!</p>"
    '<a href="https://loja.com.br/oferta?cupom=X">Comprar</a> '
    '<a href="https://loja.com.br/blog">Blog</a></body></html>',
    # an escaped URL, the unsubscribe link placed by the template, a repeated link,
    # a single-quoted one, an untracked one, an upper-case body end
    "<HTML><BODY><p>{{ first_name }} de {{ attributes.cidade }} ({{ email }})</p>"
    '<a class="cta" href="https://loja.com.br/catalogo?x=1&amp;y=2">Catálogo</a>'
    "<a href='https://loja.com.br/blog'>Blog</a> <a href=\"https://loja.com.br/blog\">de novo</a>"
    '<a href="https://outra.com.br/">fora</a> {{ resume_url }} {{ desconhecido }}'
    '<p><a href="{{ unsubscribe_url }}">Sair</a></p></BODY></HTML>',
    # no body at all: the footer goes at the end
    '<p>{{ name }}</p><a href="https://loja.com.br/oferta?cupom=X">Oferta</a>',
    # two body ends: the footer before the last
    "<body>{{ name }}</body><body>fim</body>",
    # the unsubscribe URL in a tag before a tracked link's URL
    '<body><a data-u="{{ unsubscribe_url }}" href="https://loja.com.br/blog">x</a></body>',
]
FALLBACK = [
    # a merge field inside a link's tag: could form or change a link
    '<body><a href="https://loja.com.br/blog" title="{{ name }}">Blog</a></body>',
    '<body><a href="{{ attributes.site }}">Site</a></body>',
    '<body><a href="{{ unsubscribe_url }}" title="{{ email }}">Sair</a></body>',
    # lower-casing changes the text's length (where the footer goes is not the same place)
    '<body><p>İstanbul {{ name }}</p><a href="https://loja.com.br/blog">Blog</a></body>',
]
RECIPIENTS = [
    content.Recipient("ana@cliente.com.br", "Ana Souza", {"cidade": "São Paulo"}),
    content.Recipient(
        "x@y.com.br",
        'Ana <img src=x onerror="alert(1)"> & Cia',
        {"cidade": "<b>Rio</b>", "site": "https://loja.com.br/blog"},
        {"resume_url": "https://loja.com.br/carrinho?id=1&t=2"},
    ),
    content.Recipient("sem-nome@cliente.com.br", None, {}),
]


def _campaign(html: str) -> Campaign:
    return Campaign(
        campaign_id=uuid.uuid4(),
        organization_id=ORG,
        subject="Oferta para {{ first_name }}",
        subject_variants=["A {{ name }}", "B <{{ email }}>"],
        from_name="Loja",
        from_address="news@loja.com.br",
        reply_to="sac@loja.com.br",
        html=html,
        text="Olá {{ name }}, sair: {{ unsubscribe_url }}",
    )


def _message(variant: int | None) -> rendering.Claimed:
    return rendering.Claimed(
        message_id=uuid.uuid4(),
        organization_id=ORG,
        campaign_id=uuid.uuid4(),
        contact_id=uuid.uuid4(),
        variant=variant,
        fields={},
        attributes={},
    )


@pytest.mark.parametrize("html", COMPILED + FALLBACK)
def test_compiled_rendering_equals_the_per_message_path(html: str) -> None:
    campaign = _campaign(html)
    urls = rendering.Links(base_url="https://rastro.example/t?a=1", secret=SECRET).urls(ORG)
    assert (content.compile_html(html) is None) == (html in FALLBACK)
    one = rendering.renderer(campaign, urls, LINK_IDS)
    for variant in (None, 0, 1):
        for recipient in RECIPIENTS:
            message = _message(variant)
            mail = one(message, recipient)
            assert mail == rendering.render_one(campaign, message, recipient, urls, LINK_IDS)
            assert 'onerror="alert(1)"' not in mail.html
            assert mail.html.count("/e/o/") == 1  # one pixel
            if html in COMPILED:  # every tracked link goes through the redirect
                assert not any(url in mail.html for url in LINK_IDS)
                assert "&amp;y=2" not in mail.html


def test_compiled_rendering_tracks_links_and_places_the_footer() -> None:
    campaign = _campaign(COMPILED[0])
    urls = rendering.Links(base_url="https://rastro.example", secret=SECRET).urls(ORG)
    message = _message(None)
    mail = rendering.renderer(campaign, urls, LINK_IDS)(message, RECIPIENTS[0])
    offer = tokens.encode(SECRET, tokens.TrackingToken("c", ORG, message.message_id, 11))
    pixel = tokens.encode(SECRET, tokens.TrackingToken("o", ORG, message.message_id, 0))
    unsubscribe = tokens.encode(SECRET, tokens.TrackingToken("u", ORG, message.message_id, 0))
    assert f'<a href="https://rastro.example/e/c/{offer}">Comprar</a>' in mail.html
    assert mail.html.endswith(
        f'<img src="https://rastro.example/e/o/{pixel}.gif" width="1" height="1" alt="" '
        'style="display:block;border:0" /></body></html>'
    )
    assert f'<a href="https://rastro.example/e/u/{unsubscribe}">' in mail.html
    assert mail.subject == "Oferta para Ana"
    assert mail.text == f"Olá Ana Souza, sair: https://rastro.example/e/u/{unsubscribe}"


def test_signer_gives_the_tokens_encode_gives() -> None:
    sign = tokens.signer(SECRET, ORG)
    for kind in ("c", "o", "u"):
        for link_id in (0, 1, 2**32 - 1):
            message_id = uuid.uuid4()
            text = sign(kind, message_id, link_id)  # type: ignore[arg-type]
            token = tokens.TrackingToken(kind, ORG, message_id, link_id)  # type: ignore[arg-type]
            assert text == tokens.encode(SECRET, token)
            assert tokens.decode(SECRET, text, kind=kind) == token  # type: ignore[arg-type]
