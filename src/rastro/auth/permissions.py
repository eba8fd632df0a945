"""The auth module's permissions."""

from rastro.core.permissions import register_permission

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
