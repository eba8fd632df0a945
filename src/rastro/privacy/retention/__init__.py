"""Retention of personal data: the per-organization setting and the daily anonymisation."""
