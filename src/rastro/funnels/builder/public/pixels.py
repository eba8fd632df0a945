"""What the page's script does with the funnel's pixels (`templates/page.js`), as the JSON
it reads: the pixels to load, and the events to send with their event ids.

* every pixel sends `PageView` (Meta's with the page's event id `pv-<token>`);
* a page reached with a paid payment sends `Purchase` on every pixel, its event id
  `purchase-<payment id>` — the id the server-side conversion of that payment sends
  (Meta CAPI and TikTok `event_id`, Google's `transaction_id` / `orderId`), so each
  platform deduplicates the browser's and the server's event;
* a pixel's own `event_name` is sent on its pages: `Lead` when the capture form is
  submitted (event id `lead-<form token>`, kept in the lead's form fields as
  `lead_event_id`), `Purchase` only with a paid payment (above), any other at load.

Custom pixels are not here: their snippets are placed in the page as written.
"""

from __future__ import annotations

from typing import Any

from rastro.funnels.builder.service.pages import PixelTag
from rastro.funnels.payments.statuses import purchase_event_id


def lead_event_id(token: str) -> str:
    """The Lead event id of a capture form (its token is the capture's idempotency key)."""
    return f"lead-{token}"


def page_config(
    pixels: tuple[PixelTag, ...],
    *,
    token: str,
    step_type: str,
    purchase: Any | None,
    require_consent: bool,
) -> dict[str, Any]:
    """The JSON of `<script id="rastro-page">` (see the module's docstring)."""
    platform = [p for p in pixels if p.pixel_type != "custom"]
    events: list[dict[str, Any]] = []
    lead: list[int] = []
    for index, pixel in enumerate(platform):
        name = pixel.event_name
        if not name or name in ("PageView", "Purchase"):
            continue
        if name == "Lead":
            if step_type == "capture":
                lead.append(index)
            continue
        events.append({"n": name, "p": [index], "e": f"{name.lower()}-{token}", "d": {}})
    if purchase is not None and platform:
        events.append(
            {
                "n": "Purchase",
                "p": None,
                "e": purchase_event_id(purchase.id),
                "d": {"value": float(purchase.amount), "currency": purchase.currency},
            }
        )
    config: dict[str, Any] = {
        "pixels": [{"t": p.pixel_type, "p": p.pixel_id} for p in platform],
        "pv": f"pv-{token}",
        "events": events,
        "consent": require_consent,
        "lead": {"n": "Lead", "p": lead, "e": lead_event_id(token), "d": {}} if lead else None,
    }
    return config
