"""Organizations, users and roles, sign-in, API keys and the credentials vault."""
