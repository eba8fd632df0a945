"""The payments' permissions and the route dependencies that require them."""

from typing import Annotated

from fastapi import Depends

from rastro.core.permissions import register_permission
from rastro.core.principal import Principal, require

PAYMENTS_READ = register_permission(
    "payments:read", "Read the checkouts' payments and their status", min_role="viewer"
)
PAYMENTS_WRITE = register_permission(
    "payments:write",
    "Create PIX charges and confirm static PIX payments by hand",
    min_role="analyst",
)

Read = Annotated[Principal, Depends(require(PAYMENTS_READ))]
Write = Annotated[Principal, Depends(require(PAYMENTS_WRITE))]
