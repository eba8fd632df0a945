"""Sequences (automation): event-triggered series of e-mails with waits, conditions, exit
rules and per-step reports. Importing the package registers the CRM listeners
(`triggers`)."""

from rastro.email.service.sequences import definitions, report, runner, triggers

__all__ = ["definitions", "report", "runner", "triggers"]
