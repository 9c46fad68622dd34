"""``{% portal_nav "data" %}``: the portal's navigation, with the current page marked."""

from __future__ import annotations

from typing import Any

from django import template

from trustdesk.accounts.middleware import two_factor_requirement

register = template.Library()


@register.inclusion_tag("portal/nav.html", takes_context=True)
def portal_nav(context: template.Context, page: str) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"portal_page": page, "portal_two_factor": two_factor_requirement(user, request) if user else None}
