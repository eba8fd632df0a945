"""The conversions module's permissions."""

from rastro.core.permissions import register_permission

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
