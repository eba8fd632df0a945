"""Behaviour of the integrations module. Functions flush, never commit."""
