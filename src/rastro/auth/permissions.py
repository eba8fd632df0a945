"""The auth module's permissions and the route dependencies that require them."""

from typing import Annotated

from fastapi import Depends

from rastro.core.permissions import register_permission
from rastro.core.principal import Principal, require

ORGANIZATION_READ = register_permission(
    "organization:read", "Read the organization's settings", min_role="viewer"
)
ORGANIZATION_WRITE = register_permission(
    "organization:write", "Change the organization's settings", min_role="admin", api_key=False
)
MEMBERS_READ = register_permission("members:read", "List users and roles", min_role="analyst")
MEMBERS_WRITE = register_permission(
    "members:write", "Add users, change roles, deactivate", min_role="admin", api_key=False
)
API_KEYS_WRITE = register_permission(
    "api_keys:write", "Create, list and revoke API keys", min_role="admin", api_key=False
)
CREDENTIALS_READ = register_permission(
    "credentials:read", "List credentials (secrets masked)", min_role="manager"
)
CREDENTIALS_WRITE = register_permission(
    "credentials:write", "Create, change and delete credentials", min_role="admin"
)

# What the auth endpoints ask of the caller.
SignedIn = Annotated[Principal, Depends(require(user_only=True))]
ReadOrganization = Annotated[Principal, Depends(require(ORGANIZATION_READ))]
WriteOrganization = Annotated[Principal, Depends(require(ORGANIZATION_WRITE))]
ReadMembers = Annotated[Principal, Depends(require(MEMBERS_READ))]
ManageMembers = Annotated[Principal, Depends(require(MEMBERS_WRITE, user_only=True))]
ManageKeys = Annotated[Principal, Depends(require(API_KEYS_WRITE, user_only=True))]
ReadCredentials = Annotated[Principal, Depends(require(CREDENTIALS_READ))]
WriteCredentials = Annotated[Principal, Depends(require(CREDENTIALS_WRITE))]
