"""The e-mail module's permissions and the route dependencies that require them."""

from typing import Annotated

from fastapi import Depends

from rastro.core.permissions import register_permission
from rastro.core.principal import Principal, require

EMAIL_READ = register_permission(
    "email:read", "Read e-mail contacts, audiences, campaigns and their reports", min_role="viewer"
)
EMAIL_WRITE = register_permission(
    "email:write",
    "Manage e-mail contacts, audiences, templates and campaigns; generate and send them",
    min_role="analyst",
)
EMAIL_ADMIN = register_permission(
    "email:admin", "Configure e-mail senders and provider webhooks", min_role="manager"
)

Read = Annotated[Principal, Depends(require(EMAIL_READ))]
Write = Annotated[Principal, Depends(require(EMAIL_WRITE))]
Admin = Annotated[Principal, Depends(require(EMAIL_ADMIN))]
