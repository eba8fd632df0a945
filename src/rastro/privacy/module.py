"""The privacy module as the application sees it. Importing it registers the access
audit's writer with `core.audit` (so audited requests are recorded from then on)."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.privacy.api import audit as audit_api
from rastro.privacy.api import public, requests
from rastro.privacy.service import audit  # noqa: F401  (registers the audit writer)

MODULE = Module(
    name="privacy",
    routers=[audit_api.router, requests.router, public.router],
)
