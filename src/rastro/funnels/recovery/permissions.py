"""The recovery's permissions and the route dependencies that require them."""

from typing import Annotated

from fastapi import Depends

from rastro.core.permissions import register_permission
from rastro.core.principal import Principal, require

RECOVERY_READ = register_permission(
    "recovery:read",
    "Read the recovery report and the abandoned checkouts and unpaid charges",
    min_role="viewer",
)
RECOVERY_WRITE = register_permission(
    "recovery:write",
    "Change a funnel's recovery settings and mark WhatsApp messages as sent",
    min_role="analyst",
)

Read = Annotated[Principal, Depends(require(RECOVERY_READ))]
Write = Annotated[Principal, Depends(require(RECOVERY_WRITE))]
