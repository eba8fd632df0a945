"""A campaign's content for one message: merge fields, tracked links, the open pixel and
the unsubscribe link.

Merge fields are `{{ name }}`, `{{ email }}`, `{{ first_name }}`,
`{{ attributes.<key> }}` and the message's own fields (a sequence enrollment's, e.g. a
recovery's `{{ resume_url }}`); in HTML their values are escaped (a name cannot inject markup),
in the text part they are plain. An unknown field renders empty. Links are the `href`s of
`<a>` tags with an http(s) URL; each becomes `/e/c/{token}` for the message, and the
destination stays in the `email_links` table. Merge fields inside a link's URL are not
expanded (the URL is the same for everyone; the click adds `mid` and `rid`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

_FIELD = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_\-]+)?)\s*\}\}")
_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?://[^"'\s<>]+)\2""", re.IGNORECASE)
UNSUBSCRIBE_FIELD = "unsubscribe_url"


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    name: str | None
    attributes: Mapping[str, Any]
    # This message's own merge fields (plain names: `resume_url`, `amount`, …).
    fields: Mapping[str, str] = dataclass_field(default_factory=dict)


def _value(recipient: Recipient, field: str) -> str:
    if field in recipient.fields:
        return recipient.fields[field]
    if field == "email":
        return recipient.email
    if field == "name":
        return recipient.name or ""
    if field == "first_name":
        return (recipient.name or "").split(" ", 1)[0]
    if field.startswith("attributes."):
        value = recipient.attributes.get(field.split(".", 1)[1])
        return "" if value is None else str(value)
    return ""


def merge(template: str, recipient: Recipient, *, escape: bool, extra: Mapping[str, str]) -> str:
    """`template` with its merge fields filled; `extra` (URLs we built) is never escaped."""

    def fill(match: re.Match[str]) -> str:
        field = match.group(1)
        if field in extra:
            return extra[field]
        value = _value(recipient, field)
        return html.escape(value, quote=True) if escape else value

    return _FIELD.sub(fill, template)


def link_urls(html_text: str) -> list[str]:
    """The distinct http(s) link URLs of the HTML, in order of appearance."""
    seen: dict[str, None] = {}
    for match in _HREF.finditer(html_text):
        seen.setdefault(html.unescape(match.group(3)), None)
    return list(seen)


def rewrite_links(html_text: str, tracked: Callable[[str], str | None]) -> str:
    """Each link whose URL `tracked` maps to a tracking URL, replaced by it."""

    def replace(match: re.Match[str]) -> str:
        url = tracked(html.unescape(match.group(3)))
        if url is None:
            return match.group(0)
        quote = match.group(2)
        return f"{match.group(1)}{quote}{html.escape(url, quote=True)}{quote}"

    return _HREF.sub(replace, html_text)


def with_footer(html_text: str, *, pixel_url: str, unsubscribe_url: str, has_link: bool) -> str:
    """The HTML with the open pixel and, unless the template placed one, an unsubscribe
    link at the end of the body."""
    footer = ""
    if not has_link:
        footer += (
            '<p style="font-size:12px;color:#666">'
            f'<a href="{html.escape(unsubscribe_url, quote=True)}">Descadastrar / Unsubscribe</a>'
            "</p>"
        )
    footer += (
        f'<img src="{html.escape(pixel_url, quote=True)}" width="1" height="1" alt="" '
        'style="display:block;border:0" />'
    )
    lower = html_text.lower()
    at = lower.rfind("</body>")
    if at == -1:
        return html_text + footer
    return html_text[:at] + footer + html_text[at:]


def merge_fields(*templates: str) -> list[str]:
    """The distinct merge fields the templates use, in order of appearance."""
    seen: dict[str, None] = {}
    for template in templates:
        for match in _FIELD.finditer(template):
            seen.setdefault(match.group(1), None)
    return list(seen)


def mentions_unsubscribe(template: str) -> bool:
    return any(match.group(1) == UNSUBSCRIBE_FIELD for match in _FIELD.finditer(template))
