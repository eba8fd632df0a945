"""The funnels' permissions and the route dependencies that require them."""

from typing import Annotated

from fastapi import Depends

from rastro.core.permissions import register_permission
from rastro.core.principal import Principal, require

FUNNELS_READ = register_permission(
    "funnels:read", "Read the funnels, their steps, checkouts and pixels", min_role="viewer"
)
FUNNELS_WRITE = register_permission(
    "funnels:write",
    "Create and change funnels, steps, checkout configs and tracking pixels",
    min_role="analyst",
)

Read = Annotated[Principal, Depends(require(FUNNELS_READ))]
Write = Annotated[Principal, Depends(require(FUNNELS_WRITE))]

# A custom pixel's snippet runs as written on the public pages: only managers place one.
FUNNELS_SCRIPTS = register_permission(
    "funnels:scripts",
    "Place custom pixel snippets (HTML run as written) on the funnels' public pages",
    min_role="manager",
)
