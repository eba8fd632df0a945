"""The analytics module's routes, one file per page."""
