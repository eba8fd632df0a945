"""The public pages' templates: Jinja2 with autoescaping (every text a user typed is
escaped), loaded and compiled once per process, and the page's own CSS and script,
inlined (no dashboard JavaScript; a page is a few KB besides media and the ad
platforms' own pixel scripts)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"
PAGES = ("capture", "vsl", "checkout", "pix", "offer", "thankyou", "message", "notfound")
CURRENCY_SYMBOLS = {"BRL": "R$", "USD": "US$", "EUR": "€"}


def money(amount: Decimal, currency: str = "BRL") -> str:
    """An amount as Brazilians write it: `R$ 1.234,56`."""
    whole, cents = f"{amount:,.2f}".split(".")
    return f"{CURRENCY_SYMBOLS.get(currency, currency)} {whole.replace(',', '.')},{cents}"


def paragraphs(text: str) -> list[str]:
    """Plain text split into paragraphs at blank lines."""
    return [part.strip() for part in text.replace("\r\n", "\n").split("\n\n") if part.strip()]


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        auto_reload=False,  # compiled once per process
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["paragraphs"] = paragraphs
    env.globals["css"] = Markup((TEMPLATES / "page.css").read_text())  # noqa: S704
    env.globals["page_js"] = Markup((TEMPLATES / "page.js").read_text())  # noqa: S704
    return env


@cache
def template(name: str) -> Template:
    return environment().get_template(f"{name}.html")


def precompile() -> None:
    """Compile every page template now (at start-up rather than on the first visit)."""
    for name in PAGES:
        template(name)


def render(name: str, context: dict[str, Any]) -> str:
    return template(name).render(context)
