"""Integrations: leads pushed to CRMs and webhooks, and CRM webhooks received."""
