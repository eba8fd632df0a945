"""The tracking module's permissions."""

from rastro.core.permissions import register_permission

TRACKING_READ = register_permission(
    "tracking:read", "Read domains, landing pages, sessions and journeys", min_role="viewer"
)
TRACKING_WRITE = register_permission(
    "tracking:write", "Change domains, landing pages and A/B tests", min_role="manager"
)
