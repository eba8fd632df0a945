"""End-to-end test of the dashboard's CRM pages: the built `web/dist` served by the real Rastro
app, driven by Debian's Chromium through Playwright (sync API).

A visit is collected for a domain, a form on that site captures a lead with the tracker's
ids (`POST /api/leads`), and more leads are written through the ORM. On the pipeline board a
card is dragged with the mouse from "new" to "qualified" (dnd-kit needs pointer moves in
steps); the database then holds the appended `lead_stages` row and the lead's new stage.
The lead's page shows the journey and the stage history. A user of another organization
sees none of the leads.

Every page visited is saved as a full-page screenshot under tests/e2e/artifacts/.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest
import pytest_asyncio
from playwright.sync_api import Browser, Locator, Page, expect

from tests.crm.factories import make_leads
from tests.e2e.browser import DESKTOP_CHROME_UA, Shots, Watched, login, new_context, visit
from tests.e2e.test_tracking_pages import tracker_id

pytestmark = pytest.mark.e2e

XSS_NAME = "<img src=x onerror=alert(1)>"


@pytest_asyncio.fixture(loop_scope="session")
async def board_leads(databases, seeded_admin):  # type: ignore[no-untyped-def]
    """Leads already on the board beside the captured one (written before the browser starts)."""
    org = seeded_admin.organization_id
    old = await make_leads(databases, org, 1, stage="new", name=XSS_NAME, company="Markup Ltda")
    proposal = await make_leads(
        databases, org, 1, stage="proposal", stage_value=Decimal("2500.00"), name="Bruno Proposta"
    )
    return {"new": old, "proposal": proposal}


def api_token(base: str, email: str, password: str) -> str:
    response = httpx.post(
        f"{base}/api/auth/login", json={"email": email, "password": password}, timeout=15
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def capture_visit_and_lead(base: str, token: str, tag: str) -> dict[str, str]:
    """A domain, one tracked visit on it, and the lead its form sent with the tracker's ids."""
    host = f"crm-{tag}.example.com"
    origin = f"https://{host}"
    auth = {"Authorization": f"Bearer {token}"}
    domain = httpx.post(
        f"{base}/api/domains",
        json={"domain_url": f"{origin}/", "domain_name": f"Loja {tag}"},
        headers=auth,
        timeout=15,
    )
    assert domain.status_code == 201, domain.text
    site_key = domain.json()["site_key"]
    visitor_id, session_id = tracker_id("v_"), tracker_id("s_")
    now_ms = int(time.time() * 1000)
    url = f"{origin}/oferta?utm_source=google&utm_medium=cpc&utm_campaign=blackfriday&gclid=GCLID{tag}"
    batch = {
        "site": site_key,
        "visitor_id": visitor_id,
        "session_id": session_id,
        "events": [
            {
                "event_id": str(uuid.uuid4()),
                "type": "page_view",
                "ts": now_ms - 60_000,
                "url": url,
                "referrer": "https://www.google.com/",
                "title": "Oferta Black Friday",
                "view_id": "pv1",
            },
            {
                "event_id": str(uuid.uuid4()),
                "type": "form_submit",
                "ts": now_ms,
                "url": url,
                "label": "lead-form",
                "view_id": "pv1",
            },
        ],
    }
    collected = httpx.post(
        f"{base}/api/collect",
        content=json.dumps(batch),
        headers={
            "Content-Type": "text/plain;charset=UTF-8",
            "Origin": origin,
            "User-Agent": DESKTOP_CHROME_UA,
        },
        timeout=15,
    )
    assert collected.status_code == 200, collected.text
    lead = httpx.post(
        f"{base}/api/leads",
        json={
            "site": site_key,
            "name": f"Carla Captura {tag}",
            "email": f"carla.{tag}@empresa-exemplo.com.br",
            "company": "Empresa Exemplo",
            "rastro_session_id": session_id,
            "rastro_visitor_id": visitor_id,
            "utm_source": "google",
            "utm_medium": "cpc",
            "utm_campaign": "blackfriday",
            "gclid": f"GCLID{tag}",
        },
        headers={"Origin": origin, "User-Agent": DESKTOP_CHROME_UA},
        timeout=15,
    )
    assert lead.status_code in (200, 201), lead.text
    return {"lead_id": lead.json()["lead_id"], "name": f"Carla Captura {tag}", "tag": tag}


def lead_state(crm_url: str, lead_id: str) -> tuple[str, list[str]]:
    """The lead's current stage and its stage history, read straight from the CRM database."""
    with psycopg.connect(crm_url, autocommit=True) as conn:
        conn.execute("SELECT set_config('rastro.scope', 'system', false)")
        row = conn.execute(
            "SELECT current_stage FROM leads WHERE lead_id = %s", (lead_id,)
        ).fetchone()
        assert row is not None
        stages = conn.execute(
            "SELECT stage_name FROM lead_stages WHERE lead_id = %s ORDER BY created_at, stage_id",
            (lead_id,),
        ).fetchall()
    return str(row[0]), [str(s[0]) for s in stages]


def drag_with_mouse(page: Page, source: Locator, target: Locator) -> None:
    """Press on the card, move in steps (dnd-kit activates after a few pixels), release."""
    box = source.bounding_box()
    goal = target.bounding_box()
    assert box is not None
    assert goal is not None
    x0, y0 = box["x"] + box["width"] / 2, box["y"] + 20
    x1, y1 = goal["x"] + goal["width"] / 2, goal["y"] + 120
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 10, y0 + 5, steps=5)
    page.mouse.move(x1, y1, steps=25)
    page.mouse.move(x1 + 2, y1 + 2, steps=2)
    page.mouse.up()


def test_crm_pages(
    live_server: Any,
    test_databases: Any,
    seeded_admin: Any,
    other_org_user: Any,
    board_leads: dict[str, Any],
    browser: Browser,
    page: Page,
    shot: Shots,
) -> None:
    base = live_server.base_url
    tag = uuid.uuid4().hex[:8]
    captured = capture_visit_and_lead(
        base, api_token(base, seeded_admin.email, seeded_admin.password), tag
    )
    lead_id = captured["lead_id"]
    assert lead_state(test_databases.crm_url, lead_id) == ("new", ["new"])

    login(page, base, seeded_admin.email, seeded_admin.password)
    nav = page.get_by_role("navigation").first
    nav.get_by_role("link", name="Leads").click()
    page.wait_for_url(re.compile(r".*/leads$"))
    visit(page, base, "/leads")
    rows = page.locator("main [data-testid=lead-row]")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text=captured["name"])).to_contain_text("Paid Search")
    expect(rows.filter(has_text=XSS_NAME)).to_have_count(1)
    assert page.locator("main img[src=x]").count() == 0
    shot(page, "lead-list")

    # Search narrows the list (the box is debounced, the URL keeps it).
    page.get_by_label(re.compile("^(Buscar|Search)$")).fill("Carla")
    page.wait_for_url(re.compile(r".*[?&]q=Carla"))
    expect(rows).to_have_count(1)
    shot(page, "lead-list-search")

    # The CSV holds exactly the filtered rows (here: the search), as a download.
    with page.expect_download() as download:
        page.click("[data-testid=leads-export]")
    exported = download.value.path().read_text(encoding="utf-8-sig")
    assert exported.startswith("lead_id,name,email"), exported[:80]
    assert len([line for line in exported.splitlines()[1:] if line]) == 1
    assert "Carla" in exported
    expect(page.locator("[data-testid=lead-totals]")).to_contain_text("1 leads")

    # --- the pipeline board: drag the captured lead from "new" to "qualified" -----------
    visit(page, base, "/leads/pipeline")
    new_col = page.locator("[data-testid=pipeline-column-new]")
    qualified_col = page.locator("[data-testid=pipeline-column-qualified]")
    expect(new_col.locator("[data-testid=pipeline-card]")).to_have_count(2)
    expect(new_col.locator("[data-testid=column-count]")).to_have_text("2")
    expect(page.locator("[data-testid=pipeline-column-proposal]")).to_contain_text("2.500,00")
    shot(page, "pipeline-before")
    card = new_col.locator(f"[data-testid=pipeline-card][data-lead-id='{lead_id}']")
    expect(card).to_be_visible()
    with page.expect_response(
        lambda r: r.url.endswith(f"/api/leads/{lead_id}/stages") and r.request.method == "POST"
    ) as moved:
        drag_with_mouse(page, card, qualified_col)
    assert moved.value.status == 201, moved.value.text()
    expect(qualified_col.locator(f"[data-lead-id='{lead_id}']")).to_have_count(1)
    expect(new_col.locator("[data-testid=column-count]")).to_have_text("1")
    expect(qualified_col.locator("[data-testid=column-count]")).to_have_text("1")
    shot(page, "pipeline-after")

    # The stage change is history appended in the database, and the lead's state moved.
    assert lead_state(test_databases.crm_url, lead_id) == ("qualified", ["new", "qualified"])

    # All six stages fit side by side from 1280 px (no sideways scroll), each card says
    # where its lead came from, and a card dropped on "won" (next to "lost", at the right
    # edge) lands on "won": the dialog asks for the deal's value, not for a loss reason.
    for width in (1280, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        board = page.locator("[data-testid=pipeline-board]")
        expect(board).to_be_visible()
        fits = board.evaluate("b => b.scrollWidth <= b.clientWidth + 1")
        assert fits, f"the board scrolls sideways at {width} px"
        lost_box = page.locator("[data-testid=pipeline-column-lost]").bounding_box()
        assert lost_box is not None
        assert lost_box["x"] + lost_box["width"] <= width, width
    expect(
        qualified_col.locator(f"[data-lead-id='{lead_id}'] [data-testid=pipeline-card-origin]")
    ).to_have_text("blackfriday")
    proposal = page.locator("[data-testid=pipeline-column-proposal] [data-testid=pipeline-card]")
    drag_with_mouse(page, proposal.first, page.locator("[data-testid=pipeline-column-won]"))
    dialog = page.locator("[data-testid=stage-dialog]")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label(re.compile("Valor do negócio|Deal value"))).to_be_visible()
    shot(page, "pipeline-1280-won-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    page.set_viewport_size({"width": 1280, "height": 800})

    # --- the lead's page: journey and stage history ------------------------------------
    qualified_col.locator(f"[data-lead-id='{lead_id}'] [data-testid=pipeline-card-link]").click()
    page.wait_for_url(re.compile(rf".*/leads/{lead_id}$"))
    visit(page, base, f"/leads/{lead_id}")
    main = page.locator("main")
    expect(main.locator("[data-testid=lead-name]")).to_have_text(captured["name"])
    expect(main.locator("[data-testid=score-breakdown]")).to_be_visible()
    sessions = main.locator("[data-testid=lead-journey-session]")
    expect(sessions).to_have_count(1)
    touch = sessions.first.locator("[data-testid=lead-journey-touch]").first
    expect(touch).to_contain_text("utm_campaign=blackfriday")
    expect(touch).to_contain_text(f"gclid=GCLID{tag}")
    expect(main.locator("[data-testid=lead-credit]")).to_contain_text("primeiro toque")
    expect(touch.locator("[data-testid=channel-badge]")).to_have_text("Paid Search")
    expect(sessions.first.locator("[data-testid=page-view]")).to_contain_text("Oferta Black Friday")
    history = main.locator("[data-testid=stage-history-row]")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text(re.compile("Novo|New"))
    expect(history.nth(1)).to_contain_text(re.compile("Qualificado|Qualified"))
    shot(page, "lead-page")

    # A task and a note, added on the page.
    main.get_by_label(re.compile("^(Nova tarefa|New task)$")).fill("Ligar para a Carla")
    main.locator("[data-testid=task-add]").click()
    expect(main.locator("[data-testid=task-row]")).to_contain_text("Ligar para a Carla")
    main.get_by_label(re.compile("^(Adicionar nota|Add note)$")).fill("Pediu proposta <b>já</b>")
    main.locator("[data-testid=note-add]").click()
    expect(main.locator("[data-testid=note]")).to_contain_text("Pediu proposta <b>já</b>")
    shot(page, "lead-page-task-note")

    # A lead typed in by the team, given an owner, opens on its page.
    visit(page, base, "/leads")
    page.click("[data-testid=create-lead]")
    dialog = page.locator("[data-testid=create-lead-dialog]")
    dialog.get_by_label("Nome").fill(f"Ligação {tag}")
    dialog.get_by_label("Telefone").fill("+55 11 98888-7777")
    dialog.get_by_label("Origem (source)").fill("telefone")
    dialog.get_by_label("Responsável").select_option(label="Eu")
    dialog.locator("[data-testid=create-lead-submit]").click()
    page.wait_for_url(re.compile(r".*/leads/[0-9a-f-]{36}$"))
    expect(page.locator("[data-testid=lead-name]")).to_have_text(f"Ligação {tag}")
    owner = page.locator("[data-testid=lead-owner]")
    expect(owner).to_have_value(str(seeded_admin.user_id))
    # Reassigned to nobody, saved at once.
    owner.select_option(value="")
    expect(page.get_by_text("Responsável salvo.", exact=True)).to_be_visible()
    created_id = page.url.rsplit("/", 1)[1]
    visit(page, base, f"/leads/{created_id}")
    expect(page.locator("[data-testid=lead-owner]")).to_have_value("")
    shot(page, "lead-created")

    # Contacts: the captured person, with their lead, on the contact's page.
    visit(page, base, "/leads/contacts")
    contact_row = page.locator("[data-testid=contact-row]", has_text=captured["name"])
    expect(contact_row).to_have_count(1)
    contact_row.get_by_role("link").click()
    page.wait_for_url(re.compile(r".*/leads/contacts/[0-9a-f-]{36}$"))
    expect(page.locator("[data-testid=contact-name]")).to_have_text(captured["name"])
    expect(page.locator("main [data-testid=lead-row]")).to_have_count(1)
    shot(page, "contact-page")
    visit(page, base, "/leads/deals")
    expect(page.locator("main")).to_be_visible()
    shot(page, "deals")

    # --- Settings: the lead rules with a live score preview, the organization ----------
    visit(page, base, "/settings/leads")
    expect(page.locator("[data-testid=score-preview-result]")).to_contain_text("Nota")
    page.get_by_label("C a partir de").fill("5")
    page.locator("[data-testid=lead-rules-save]").click()
    expect(page.get_by_text("Alterações salvas", exact=True)).to_be_visible()
    visit(page, base, "/settings/organization")
    expect(page.locator("[data-testid=organization-form]")).to_be_visible()
    shot(page, "settings-organization")

    # --- Settings: CRM webhooks (token shown once), destinations, review list -----------
    visit(page, base, "/settings/crm-webhooks")
    expect(page.locator("[data-testid=webhook-provider]")).to_have_count(4)
    page.click("[data-testid=rotate-token]")
    page.get_by_role("alertdialog").get_by_role("button", name="Trocar token").click()
    shown = page.locator("[data-testid=shown-once]")
    expect(shown.locator("[data-testid=issued-token]")).to_be_visible()
    token = shown.locator("[data-testid=issued-token]").inner_text().strip()
    assert len(token) >= 16, token
    shot(page, "settings-webhook-token")
    shown.get_by_role("button", name="Já guardei").click()
    expect(page.locator("[data-testid=webhook-token-state]")).to_contain_text(token[-4:])
    assert token not in page.content(), "the token is shown once only"
    visit(page, base, "/settings/crm-destinations")
    expect(page.locator("main [data-testid=empty-state]")).to_be_visible()
    page.click("[data-testid=add-destination]")
    expect(page.get_by_role("dialog")).to_be_visible()
    shot(page, "settings-destination-form")
    page.keyboard.press("Escape")
    visit(page, base, "/settings/crm-review")
    expect(page.locator("main [data-testid=empty-state]")).to_be_visible()
    shot(page, "settings-review")

    # --- another organization sees none of it ------------------------------------------
    other_ctx = new_context(browser)
    try:
        other = other_ctx.new_page()
        watched = Watched(other)
        login(other, base, other_org_user.email, other_org_user.password)
        forbidden = [captured["name"], "Bruno Proposta", "Markup Ltda", f"GCLID{tag}"]
        for path in ["/leads", "/leads/pipeline", "/leads/contacts", "/leads/deals"]:
            visit(other, base, path)
            shot(other, "other-" + path.strip("/").replace("/", "-"))
            html = other.content()
            for needle in forbidden:
                assert needle not in html, f"{needle!r} of the first organization is on {path}"
        expect(other.locator("main [data-testid=lead-row]")).to_have_count(0)
        visit(other, base, f"/leads/{lead_id}")
        expect(other.locator("main [role=alert]")).to_be_visible()
        shot(other, "other-lead")
        html = other.content()
        for needle in forbidden:
            assert needle not in html, f"{needle!r} of the first organization is on the lead page"
        watched.check()
    finally:
        other_ctx.close()
