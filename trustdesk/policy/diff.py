"""What changed between two policy versions, in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trustdesk.policy.loader import PathT, describe, dotted


@dataclass(frozen=True)
class Change:
    kind: str  # "added", "removed" or "changed"
    path: PathT
    old: Any
    new: Any

    @property
    def where(self) -> str:
        return describe(self.path)

    @property
    def key(self) -> str:
        return dotted(self.path)


def diff(old: Any, new: Any, path: PathT = ()) -> list[Change]:
    """Compare two policy data trees (as parsed from YAML): every added, removed and changed value."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[Change] = []
        for key in old:
            if key not in new:
                changes.append(Change("removed", (*path, key), old[key], None))
            else:
                changes.extend(diff(old[key], new[key], (*path, key)))
        for key in new:
            if key not in old:
                changes.append(Change("added", (*path, key), None, new[key]))
        return changes
    if old == new:
        return []
    return [Change("changed", path, old, new)]


def show(value: Any) -> str:
    """A short, readable rendering of a value for the change list."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str | int | float | bool) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()) and len(value) <= 4:
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    import yaml

    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=False).strip()
