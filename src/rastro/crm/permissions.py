"""The CRM module's permissions and the route dependencies that require them."""

from typing import Annotated

from fastapi import Depends

from rastro.core.permissions import register_permission
from rastro.core.principal import Principal, require

CRM_READ = register_permission(
    "crm:read", "Read leads, contacts, deals, tasks, notes and the pipeline", min_role="viewer"
)
CRM_WRITE = register_permission(
    "crm:write",
    "Create leads, move them through the pipeline, edit contacts, deals, tasks and notes",
    min_role="analyst",
)
CRM_ADMIN = register_permission(
    "crm:admin",
    "Configure CRM destinations, inbound webhooks, stage mappings and scoring",
    min_role="manager",
)

# What the CRM's endpoints (and the integrations module's, which use these permissions) ask of
# the caller.
Read = Annotated[Principal, Depends(require(CRM_READ))]
Write = Annotated[Principal, Depends(require(CRM_WRITE))]
Admin = Annotated[Principal, Depends(require(CRM_ADMIN))]
