"""The conversions module's permissions and the route dependencies that require them."""

from typing import Annotated

from fastapi import Depends

from rastro.core.permissions import register_permission
from rastro.core.principal import Principal, require

CONVERSIONS_READ = register_permission(
    "conversions:read",
    "Read offline conversions, their sync log and the platforms' health",
    min_role="viewer",
)
CONVERSIONS_WRITE = register_permission(
    "conversions:write",
    "Create offline conversions, retry failed ones and send sent ones again",
    min_role="analyst",
)
CONVERSIONS_ADMIN = register_permission(
    "conversions:admin",
    "Configure conversion names per platform and attribution windows",
    min_role="manager",
)

# What the conversions endpoints ask of the caller.
Read = Annotated[Principal, Depends(require(CONVERSIONS_READ))]
Write = Annotated[Principal, Depends(require(CONVERSIONS_WRITE))]
Admin = Annotated[Principal, Depends(require(CONVERSIONS_ADMIN))]
