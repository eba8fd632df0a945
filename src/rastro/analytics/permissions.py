"""The analytics module's permissions and the route dependencies that require them."""

from typing import Annotated

from fastapi import Depends

from rastro.core.permissions import register_permission
from rastro.core.principal import Principal, require

ANALYTICS_READ = register_permission(
    "analytics:read", "See reports, attribution and A/B test results", min_role="viewer"
)
ANALYTICS_ADMIN = register_permission(
    "analytics:admin", "Change analytics settings and refresh the rollups", min_role="admin"
)

Read = Annotated[Principal, Depends(require(ANALYTICS_READ))]
Admin = Annotated[Principal, Depends(require(ANALYTICS_ADMIN))]
