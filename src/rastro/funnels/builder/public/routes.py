"""The public step pages (filled in below)."""

from __future__ import annotations

from fastapi import APIRouter

from rastro.core.session import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
