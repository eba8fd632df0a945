"""Alembic environment of the BI database."""

from rastro.core.db import BiBase
from rastro.core.migrations import run_env
from rastro.modules import load_modules

load_modules()
run_env(BiBase.metadata)
