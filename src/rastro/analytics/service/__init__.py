"""The analytics module's behaviour, one file per concern."""
