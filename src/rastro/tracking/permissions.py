"""The tracking module's permissions and the route dependencies that require them."""

from typing import Annotated

from fastapi import Depends

from rastro.core.permissions import register_permission
from rastro.core.principal import Principal, require

TRACKING_READ = register_permission(
    "tracking:read", "Read domains, landing pages, sessions and journeys", min_role="viewer"
)
TRACKING_WRITE = register_permission(
    "tracking:write", "Change domains, landing pages and A/B tests", min_role="manager"
)

# What the tracking endpoints ask of the caller.
Read = Annotated[Principal, Depends(require(TRACKING_READ))]
Write = Annotated[Principal, Depends(require(TRACKING_WRITE))]
