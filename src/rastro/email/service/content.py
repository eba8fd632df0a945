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
from functools import lru_cache
from typing import Any, Literal

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
    footer = footer_html(pixel_url=pixel_url, unsubscribe_url=unsubscribe_url, has_link=has_link)
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


# Compiled once per template, filled per message: what `merge`, `rewrite_links` and
# `with_footer` do to one message, without scanning the template again for each.

Merge = tuple[str, ...]  # literals at even indexes, field names at odd ones


@lru_cache(maxsize=256)
def compile_merge(template: str) -> Merge:
    """The template split at its merge fields (`fill` joins it back for one recipient)."""
    return tuple(_FIELD.split(template))


def fill(parts: Merge, recipient: Recipient, *, escape: bool, extra: Mapping[str, str]) -> str:
    """What `merge` returns for the template `parts` came from."""
    out = list(parts)
    for at in range(1, len(parts), 2):
        field = parts[at]
        if field in extra:
            out[at] = extra[field]
            continue
        value = _value(recipient, field)
        out[at] = html.escape(value, quote=True) if escape else value
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Slot:
    """A place in a compiled HTML template: a merge field, a link's URL, or the footer."""

    kind: Literal["field", "link", "footer"]
    value: str = ""  # the field's name; the link's URL (unescaped)
    original: str = ""  # the link's URL as written (kept when the URL is not tracked)


@dataclass(frozen=True, slots=True)
class CompiledHtml:
    literals: tuple[str, ...]  # one more than slots: literal, slot, literal, …
    slots: tuple[Slot, ...]
    has_link: bool  # the template places the unsubscribe link itself


_A_TAG = re.compile(r"<a[^>]*", re.IGNORECASE)


@lru_cache(maxsize=256)
def compile_html(template: str) -> CompiledHtml | None:
    """The HTML template cut at its merge fields, its links' URLs and where the footer
    goes, so that `render_html` gives what `merge` + `rewrite_links` + `with_footer` give;
    None when that cannot be guaranteed (a merge field inside an `<a …>` tag could form or
    change a link; the footer's place inside a link; lower-casing that changes lengths):
    those templates take the per-message path.

    Why it is the same: merged values contain no `<`, `>` or quotes (escaped, or the
    unsubscribe URL we built — the caller makes sure of it), so every link the rewrite
    finds in the merged HTML starts at an `<a` of the template and ends before that tag's
    `>`; with no merge field there but the unsubscribe URL (never one of the campaign's
    links, so never rewritten), it is the template's own link, and the last `</body>` is
    the template's."""
    lower = template.lower()
    if len(lower) != len(template):
        return None
    fields = [(m.start(), m.end(), Slot("field", m.group(1))) for m in _FIELD.finditer(template)]
    for tag in _A_TAG.finditer(template):
        if any(
            start < tag.end() and end > tag.start() and slot.value != UNSUBSCRIBE_FIELD
            for start, end, slot in fields
        ):
            return None
    cuts = list(fields)
    for match in _HREF.finditer(template):
        url = match.group(3)
        cuts.append((match.start(3), match.end(3), Slot("link", html.unescape(url), url)))
    body = lower.rfind("</body>")
    at = len(template) if body == -1 else body
    if any(start < at < end for start, end, _ in cuts):
        return None
    cuts.append((at, at, Slot("footer")))
    cuts.sort(key=lambda cut: (cut[0], cut[1]))
    literals, slots, position = [], [], 0
    for start, end, slot in cuts:
        if start < position:  # overlapping cuts: not a template this path knows
            return None
        literals.append(template[position:start])
        slots.append(slot)
        position = end
    literals.append(template[position:])
    return CompiledHtml(tuple(literals), tuple(slots), mentions_unsubscribe(template))


def render_html(
    compiled: CompiledHtml,
    recipient: Recipient,
    *,
    extra: Mapping[str, str],
    tracked: Callable[[str], str | None],
    footer: str,
) -> str:
    """One message's HTML from a compiled template (escaped merge fields, tracked links,
    `footer` where `with_footer` puts it; `footer_html` makes it)."""
    out = [compiled.literals[0]]
    for slot, literal in zip(compiled.slots, compiled.literals[1:], strict=True):
        if slot.kind == "field":
            if slot.value in extra:
                out.append(extra[slot.value])
            else:
                out.append(html.escape(_value(recipient, slot.value), quote=True))
        elif slot.kind == "link":
            url = tracked(slot.value)
            out.append(slot.original if url is None else html.escape(url, quote=True))
        else:
            out.append(footer)
        out.append(literal)
    return "".join(out)


def footer_html(*, pixel_url: str, unsubscribe_url: str, has_link: bool) -> str:
    """What `with_footer` inserts: the unsubscribe link (unless placed) and the pixel."""
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
    return footer
