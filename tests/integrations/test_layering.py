"""The CRM never imports the integrations module built on it (layering: integrations → crm):
it announces new leads and stage changes, and the integrations module subscribes."""

from __future__ import annotations

import subprocess
import sys

# Imports every module of a package in a fresh interpreter and prints the rastro modules
# that got loaded, one a line.
_IMPORT_ALL = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for found in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    importlib.import_module(found.name)
print("\\n".join(sorted(name for name in sys.modules if name.startswith("rastro."))))
"""


def _loaded_by(package: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL, package],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(result.stdout.split())


def test_importing_all_of_the_crm_loads_nothing_of_integrations() -> None:
    loaded = _loaded_by("rastro.crm")
    assert {"rastro.crm.module", "rastro.crm.jobs", "rastro.crm.service.pipeline"} <= loaded
    assert sorted(m for m in loaded if m.startswith("rastro.integrations")) == []


def test_the_check_sees_integrations_when_it_is_imported() -> None:
    # The same probe on the integrations package does find it (and the CRM under it).
    loaded = _loaded_by("rastro.integrations")
    assert "rastro.integrations.module" in loaded
    assert "rastro.crm.service.pipeline" in loaded
