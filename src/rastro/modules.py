"""The enabled domain modules, in dependency order. Add a module here and nowhere else."""

from __future__ import annotations

import importlib
from functools import cache

from rastro.core.module import Module

MODULE_PACKAGES = (
    "rastro.auth",
    "rastro.tracking",
    "rastro.crm",
    "rastro.integrations",
    "rastro.conversions",
    "rastro.email",
    "rastro.funnels.payments",
    "rastro.funnels.builder",
    "rastro.funnels.monitor",
    "rastro.funnels.recovery",
    "rastro.analytics",
    "rastro.privacy",
)


@cache
def load_modules() -> tuple[Module, ...]:
    """Import every module (and so register its models, scopes and jobs)."""
    importlib.import_module("rastro.core.outbox")  # core's own table
    modules = []
    for package in MODULE_PACKAGES:
        mod = importlib.import_module(f"{package}.module")
        modules.append(mod.MODULE)
    return tuple(modules)
