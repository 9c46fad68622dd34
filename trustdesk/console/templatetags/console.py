"""The console's navigation: the sections the user's role may open."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from trustdesk.accounts.access import role_of
from trustdesk.console.access import POLICY_ROLES, RECORD_ROLES, REQUEST_ROLES, WEBLOG_ROLES

register = template.Library()

#: (section, URL name, label, roles)
SECTIONS = (
    ("dashboard", "console:dashboard", _("Dashboard"), REQUEST_ROLES),
    ("requests", "console:queue", _("Requests"), REQUEST_ROLES),
    ("entry", "console:entry", _("Enter a request"), REQUEST_ROLES),
    ("search", "console:search", _("Search"), RECORD_ROLES),
    ("policy", "console:policy", _("Policy"), POLICY_ROLES),
    ("weblogs", "console:weblogs", _("Web logs"), WEBLOG_ROLES),
    ("instructions", "console:instructions", _("Content access"), REQUEST_ROLES),
)


@register.inclusion_tag("console/nav.html", takes_context=True)
def console_nav(context: dict[str, Any]) -> dict[str, Any]:
    role = role_of(context["request"].user)
    current = context.get("section", "")
    links = [
        {"url": reverse(name), "label": label, "current": key == current}
        for key, name, label, roles in SECTIONS
        if role in roles
    ]
    return {"links": links}
