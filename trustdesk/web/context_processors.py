"""What every page needs: the controller's name and the statement in effect, for the footer (P0.12)."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    from trustdesk.policy.queries import version_in_effect

    try:
        version = version_in_effect()
    except DatabaseError:
        version = None
    controller = version.loaded.policy.controller if version is not None else None
    return {"policy_version": version, "controller": controller}
