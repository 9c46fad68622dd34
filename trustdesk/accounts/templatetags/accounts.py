"""Template tags of the account pages that allauth renders (its views give no context of Trustdesk's)."""

from __future__ import annotations

from typing import Any

from django import template

from trustdesk.accounts.middleware import two_factor_requirement

register = template.Library()


@register.simple_tag(takes_context=True)
def two_factor_rule(context: dict[str, Any]) -> str:
    """``required``, ``optional`` or ``unavailable`` for the signed-in user under the policy in effect."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return (two_factor_requirement(user, request) if user is not None else None) or ""
