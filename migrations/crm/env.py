"""Alembic environment of the CRM database."""

from rastro.core.db import CrmBase
from rastro.core.migrations import run_env
from rastro.modules import load_modules

load_modules()
run_env(CrmBase.metadata)
