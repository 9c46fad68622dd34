"""What every page needs: the controller's name and the statement in effect, for the footer (P0.12)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    from trustdesk.policy.queries import version_for_request

    version = version_for_request(request)
    controller = version.loaded.policy.controller if version is not None else None
    return {"policy_version": version, "controller": controller}
