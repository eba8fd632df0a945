"""Behaviour of the tracking module. Functions flush, never commit."""
