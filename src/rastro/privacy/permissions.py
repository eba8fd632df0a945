"""The privacy module's permission and the route dependency that requires it: the audit
log and data-subject requests are for administrators (and never for API keys)."""

from typing import Annotated

from fastapi import Depends

from rastro.core.permissions import register_permission
from rastro.core.principal import Principal, require

PRIVACY_ADMIN = register_permission(
    "privacy:admin",
    "See the access audit log; export and erase a person's data",
    min_role="admin",
    api_key=False,
)

Admin = Annotated[Principal, Depends(require(PRIVACY_ADMIN, user_only=True))]
