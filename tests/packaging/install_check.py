"""The installed package on its own: run by `make pkgcheck` with the Python of a clean venv
where `rastro` was installed from a wheel WITHOUT extras (`python -I`, so neither the source
tree nor PYTHONPATH is importable).

Every module of `rastro` imports (a runtime dependency that only the `dev` extra brought in
fails here) and the app is built without a database. `rastro --help` and `rastro openapi`
are run by the Makefile. Not a pytest file: the clean venv has no pytest.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback
from pathlib import Path


def main() -> int:
    import rastro

    location = Path(rastro.__file__).resolve()
    if "site-packages" not in location.parts:
        print(f"rastro imported from {location}, not from the installed wheel", file=sys.stderr)
        return 1
    failed: list[str] = []

    def record(name: str) -> None:
        failed.append(f"{name}:\n{traceback.format_exc(limit=3)}")

    # The app first: some libraries refuse a missing dependency only on the first import
    # (SQLAlchemy's greenlet shim), and walk_packages would otherwise swallow that error.
    modules = ["rastro.app"]
    try:
        importlib.import_module("rastro.app")
    except Exception:
        record("rastro.app")
    for info in pkgutil.walk_packages(rastro.__path__, "rastro.", onerror=record):
        if info.name.endswith(".__main__"):  # runs the command
            continue
        modules.append(info.name)
        try:
            importlib.import_module(info.name)
        except Exception:  # every failure is listed, not only the first
            record(info.name)
    if failed:
        print("Modules that do not import without the dev extra:", file=sys.stderr)
        print("\n".join(failed), file=sys.stderr)
        return 1

    from rastro.app import create_app
    from rastro.config import load_settings

    app = create_app(load_settings(), check_migrations=False)
    paths = app.openapi()["paths"]
    if "/api/leads" not in paths or "/api/auth/login" not in paths:
        print("The app was built without its routes.", file=sys.stderr)
        return 1
    print(f"{len(modules)} modules import; the app builds with {len(paths)} API paths.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
