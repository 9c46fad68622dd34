"""System checks for the policy: the file named by TRUSTDESK_POLICY loads, passes lint, and is published."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.db import DatabaseError

from trustdesk.policy.lint import Severity, lint
from trustdesk.policy.loader import PolicyError, load_file


@register("trustdesk")
def check_policy_file(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    path = getattr(settings, "TRUSTDESK_POLICY", None)
    if path is None:
        return []
    try:
        loaded = load_file(path)
    except PolicyError as exc:
        return [Error(f"TRUSTDESK_POLICY does not load: {exc.problems[0]}", id="trustdesk.E001")]
    messages: list[CheckMessage] = []
    errors = [f for f in lint(loaded) if f.severity is Severity.ERROR]
    if errors:
        messages.append(
            Error(
                f"TRUSTDESK_POLICY has {len(errors)} lint error(s); the first: {errors[0]}",
                id="trustdesk.E002",
            )
        )
    if kwargs.get("databases"):
        from trustdesk.policy.queries import latest_version

        try:
            newest = latest_version()
        except DatabaseError:
            return messages
        if newest is None or newest.sha256 != loaded.sha256:
            messages.append(
                Warning(
                    "TRUSTDESK_POLICY differs from the newest published version",
                    hint="run `trustdesk policy publish` to publish it",
                    id="trustdesk.W001",
                )
            )
    return messages
