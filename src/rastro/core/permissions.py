"""Permissions (`area:action`), each with the least role that holds it.

Modules register their permissions at import; a role holds every permission whose
minimum role it reaches, and an API key holds exactly the scopes it was given.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLE_ORDER = ("viewer", "analyst", "manager", "admin")


@dataclass(frozen=True)
class PermissionSpec:
    name: str
    description: str
    min_role: str
    api_key: bool  # whether an API key may be granted it


_REGISTRY: dict[str, PermissionSpec] = {}


def register_permission(name: str, description: str, *, min_role: str, api_key: bool = True) -> str:
    if min_role not in ROLE_ORDER:
        raise ValueError(f"unknown role {min_role!r}")
    _REGISTRY[name] = PermissionSpec(name, description, min_role, api_key)
    return name


def all_permissions() -> list[PermissionSpec]:
    return sorted(_REGISTRY.values(), key=lambda spec: spec.name)


def api_key_scopes() -> list[PermissionSpec]:
    return [spec for spec in all_permissions() if spec.api_key]


def min_role_of(name: str) -> str | None:
    """The least role that holds `name` (None for an unknown permission)."""
    spec = _REGISTRY.get(name)
    return spec.min_role if spec is not None else None


def permissions_for_role(role: str) -> frozenset[str]:
    rank = ROLE_ORDER.index(role)
    return frozenset(
        spec.name for spec in _REGISTRY.values() if ROLE_ORDER.index(spec.min_role) <= rank
    )
