"""No English in the pt-BR dashboard: every page of an organization filled with the demo
data is opened in Chromium (pt-BR), and its rendered text must hold no message of the
English catalogue that pt-BR translates differently, and none of our own codes (statuses,
activity types, reasons) as raw text."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest_asyncio
from playwright.sync_api import Browser, Page

from rastro.core.module import DemoContext
from rastro.modules import load_modules
from tests.auth.factories import make_account
from tests.e2e.browser import login, new_context, visit

I18N = Path(__file__).resolve().parents[2] / "web" / "src" / "i18n"
ENTRY = re.compile(r'^\s*"([^"]+)":\s*("(?:[^"\\]|\\.)*"),?\s*$')

# Our codes that must never reach the interface as they are.
CODES = [
    "not_applicable",
    "stage_changed",
    "lead_created",
    "lead_updated",
    "deal_stage_changed",
    "first_touch",
    "last_touch",
    "last_non_direct",
    "time_decay",
    "position_based",
    "no_session",
    "unknown_session",
    "other_currency_spend",
    "credential_rejected",
    "error_rate",
    "integration_failed",
    "integration_sent",
    "webhook_received",
    "not_set",
]

# Words that are English only: a sentence stored in English (a delivery reason, a summary)
# shows one of them.
ENGLISH_WORDS = re.compile(
    r"\b(the|is|was|with|without|failed|credential|accepts|days old|this one|no such|"
    r"match on|changed|created|deleted|sent to|from a form|lead from)\b",
    re.IGNORECASE,
)

PAGES = [
    "/analytics",
    "/analytics/visitors",
    "/analytics/journeys",
    "/analytics/cohorts",
    "/analytics/campaigns",
    "/analytics/ads",
    "/analytics/channels",
    "/analytics/landing-pages",
    "/analytics/health",
    "/analytics/alerts",
    "/analytics/creatives",
    "/analytics/attribution",
    "/analytics/ab-tests",
    "/tracking",
    "/tracking/sessions",
    "/tracking/domains",
    "/tracking/landing-pages",
    "/leads",
    "/leads/pipeline",
    "/leads/tasks",
    "/leads/contacts",
    "/leads/deals",
    "/conversions",
    "/funnels",
    "/email/campaigns",
    "/email/campaigns/new",
    "/email/sequences",
    "/email/templates",
    "/email/templates/new",
    "/email/audiences",
    "/email/suppressions",
    "/email/unsubscribes",
    "/email/senders",
    "/settings/organization",
    "/settings/leads",
    "/settings/members",
    "/settings/api-keys",
    "/settings/credentials",
    "/settings/crm-destinations",
    "/settings/crm-webhooks",
    "/settings/ad-accounts",
    "/settings/spend-csv",
    "/settings/fx-rates",
    "/settings/profit",
    "/settings/profile",
    "/email/contacts",
    "/email/contacts/import",
    "/email/contacts/forms",
]


def catalogue(language: str) -> dict[str, str]:
    """Every message of one language (all `*.{language}.ts` files and the main one)."""
    names = ["en.ts"] if language == "en" else ["pt-BR.ts"]
    files = [I18N / n for n in names] + sorted(I18N.glob(f"*.{language}.ts"))
    out: dict[str, str] = {}
    for file in files:
        for line in file.read_text(encoding="utf-8").splitlines():
            match = ENTRY.match(line)
            if match:
                out[match.group(1)] = json.loads(match.group(2))
    return out


def english_only() -> list[str]:
    """English messages (of three words or more, without variables) that pt-BR words
    differently: seeing one on a pt-BR page means an untranslated string."""
    en, pt = catalogue("en"), catalogue("pt-BR")
    return sorted(
        {
            text
            for key, text in en.items()
            if pt.get(key) != text and "{" not in text and len(text.split()) >= 3
        }
    )


@pytest_asyncio.fixture(loop_scope="session")
async def demo_admin(databases, live_server):  # type: ignore[no-untyped-def]
    account = await make_account(databases, name="Dora Demo")
    context = DemoContext(
        databases=databases,
        organization_id=account.organization_id,
        secret_key=live_server.settings.secret_key_value,
        base_url=live_server.base_url,
        encryption_key=live_server.settings.encryption_key_value,
    )
    for module in load_modules():
        if module.demo is not None:
            await module.demo(context)
    return account


def page_text(page: Page) -> str:
    return page.locator("main").inner_text()


def test_no_english_or_raw_codes_on_pt_br_pages(
    live_server: Any, demo_admin: Any, browser: Browser
) -> None:
    base = live_server.base_url
    context = new_context(browser)
    page = context.new_page()
    login(page, base, demo_admin.email, demo_admin.password)
    english = english_only()
    assert len(english) > 100, "the catalogues were not read"
    code = re.compile(r"\b(" + "|".join(CODES) + r")\b")
    message_key = re.compile(r"\b[a-z]+\.[a-z][a-zA-Z]+\.[a-zA-Z_.]+\b")
    found: list[str] = []
    # A lead's, a contact's and a session's pages too, reached through the lists.
    visit(page, base, "/leads")
    lead = page.locator("main [data-testid=lead-link]").first.get_attribute("href")
    visit(page, base, "/leads/contacts")
    contact = page.locator("main [data-testid=contact-row] a").first.get_attribute("href")
    visit(page, base, "/conversions")
    conversion = page.locator("main a[href^='/conversions/']").first.get_attribute("href")
    visit(page, base, "/funnels")
    funnel = page.locator("main a[href^='/funnels/']").first.get_attribute("href")
    for path in [*PAGES, lead, contact, conversion, funnel]:
        assert path
        visit(page, base, path)
        page.wait_for_timeout(300)  # charts and second queries
        text = page_text(page)
        for sentence in english:
            if sentence in text:
                found.append(f"{path}: English {sentence!r}")
        for line in text.splitlines():
            if ENGLISH_WORDS.search(line):
                found.append(f"{path}: English words in {line.strip()[:120]!r}")
        for match in code.finditer(text):
            found.append(f"{path}: code {match.group(0)!r}")
        for match in message_key.finditer(text):
            if not re.search(r"\w+\.(com|br|net|org|io)\b", match.group(0)):
                found.append(f"{path}: message key {match.group(0)!r}")
    context.close()
    assert not found, "\n".join(sorted(set(found)))
