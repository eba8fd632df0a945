"""Field types every module's request schemas share."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

# A name a person typed: trimmed, not empty, at most 255 characters.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
