"""Retention's permissions and the route dependencies that require them."""

from typing import Annotated

from fastapi import Depends

from rastro.core.permissions import register_permission
from rastro.core.principal import Principal, require

RETENTION_READ = register_permission(
    "privacy:retention_read",
    "See the retention settings and the anonymisation runs",
    min_role="viewer",
)
RETENTION_ADMIN = register_permission(
    "privacy:retention_admin", "Change the retention of personal data", min_role="admin"
)

Read = Annotated[Principal, Depends(require(RETENTION_READ))]
Admin = Annotated[Principal, Depends(require(RETENTION_ADMIN))]
