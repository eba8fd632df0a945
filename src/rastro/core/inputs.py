"""What the API accepts as input, checked in one place for every route.

* **Storable values.** PostgreSQL's `text` and `jsonb` hold no NUL character (nor a lone
  UTF-16 surrogate), and a JSON column holds integers of 64 bits and finite numbers only.
  A request whose query string, path, JSON body (at any depth, keys included) or form
  carries such a value is refused with 422 naming the field (`query.campaign`,
  `body.metadata.n`); nothing is stripped silently. `TransactionalRoute` applies the rule
  before the endpoint runs; `PlainRoute` applies it to the query and path, and endpoints
  that parse their own body (lead capture) call `check_body`. The collector keeps its own
  per-event rule: a bad event is rejected alone, its batch is stored.
* **`null` in a partial update.** A field of a PATCH/PUT body annotated `NotNull` may be
  left out (kept as it is) but not set to `null` (422 naming it); other optional fields
  take `null` to mean "clear it".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

INT64 = range(-(2**63), 2**63)
NUL_MESSAGE = "Text may not contain the NUL character (\\u0000) or an unpaired surrogate."
NUMBER_MESSAGE = "Numbers must be finite, and integers must fit in 64 bits."
# Cheap byte tests: a JSON body is decoded and walked only when one of them matches.
_JSON_SUSPECT = re.compile(rb"\\u0000|\\u[dD][89abAB]|\d{19}|[eE][+]?\d{3}|NaN|Infinity")
_FORM_CONTENT = "application/x-www-form-urlencoded"


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (`"\ud800"` in JSON)
        return True
    return False


def unstorable(value: Any, loc: tuple[str | int, ...] = ()) -> Iterator[dict[str, Any]]:
    """Validation errors (`loc`, `msg`, `type`) for every value PostgreSQL cannot store
    inside `value`, a decoded JSON document or a form."""
    if isinstance(value, str):
        if _bad_text(value):
            yield {"loc": loc, "msg": NUL_MESSAGE, "type": "string_unstorable"}
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if value not in INT64:
            yield {"loc": loc, "msg": NUMBER_MESSAGE, "type": "number_unstorable"}
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield {"loc": loc, "msg": NUMBER_MESSAGE, "type": "number_unstorable"}
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and _bad_text(key):
                yield {"loc": loc, "msg": NUL_MESSAGE, "type": "string_unstorable"}
            yield from unstorable(item, (*loc, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from unstorable(item, (*loc, index))


def check_body(body: Any) -> None:
    """Refuse (422) a decoded body holding a value PostgreSQL cannot store."""
    errors = list(unstorable(body, ("body",)))
    if errors:
        raise RequestValidationError(errors)


def check_query_and_path(request: Request) -> None:
    """Refuse (422) a NUL character in a query parameter or a path parameter."""
    errors: list[dict[str, Any]] = []
    raw_query = request.scope.get("query_string", b"")
    if b"%00" in raw_query or b"\x00" in raw_query:
        for name, value in request.query_params.multi_items():
            if "\x00" in name or "\x00" in value:
                errors.append({"loc": ("query", name), "msg": NUL_MESSAGE, "type": "string_nul"})
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            errors.append({"loc": ("path", name), "msg": NUL_MESSAGE, "type": "string_nul"})
    if errors:
        raise RequestValidationError(errors)


async def check_request(request: Request) -> None:
    """Apply the rule to the query, the path and a JSON or form body."""
    check_query_and_path(request)
    if request.method in ("GET", "HEAD", "DELETE", "OPTIONS"):
        return
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == _FORM_CONTENT:
        raw = await request.body()
        if b"%00" in raw or b"\x00" in raw:
            check_body(dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)))
    elif not content_type or content_type.endswith("json"):  # FastAPI reads both as JSON
        raw = await request.body()
        if _JSON_SUSPECT.search(raw):
            try:
                document = await request.json()
            except ValueError:
                return  # malformed JSON: the route's own parsing answers 400
            check_body(document)


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError(
            "null_not_allowed", "May be left out to keep the current value, but not null."
        )
    return value


class _NotNull:
    """Marks an optional field of a partial update that may not be `null` (see above).

    Used as `Annotated[X | None, NotNull] = None`: the Python type stays optional (a field
    left out is None and absent from `model_fields_set`), the JSON Schema says `X`."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(_refuse_null, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = dict(handler(schema))
        variants = [v for v in json_schema.pop("anyOf", []) if v != {"type": "null"}]
        if len(variants) == 1:
            json_schema = {**variants[0], **json_schema}
        elif variants:
            json_schema["anyOf"] = variants
        return json_schema


NotNull = _NotNull()
