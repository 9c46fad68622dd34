"""The dashboard (requests per week, median days to answer, overdue, accounts to look at) and the policy in
effect with its data map."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_safe

from trustdesk.accounts.access import role_of, staff_required
from trustdesk.console import charts
from trustdesk.console.access import OVERSIGHT_ROLES, POLICY_ROLES, REQUEST_ROLES
from trustdesk.console.views.looks import LOOKS_WINDOW, looks_by_staff
from trustdesk.lib.datamap import personal_fields
from trustdesk.lib.deadlines import Urgency
from trustdesk.policy.datamap_check import check_against_datamap
from trustdesk.policy.lint import Finding, Severity, lint
from trustdesk.policy.queries import upcoming_versions, version_in_effect

SEVERITY_TONES = {Severity.ERROR: "red", Severity.WARNING: "orange", Severity.INFO: "blue"}
SEVERITY_LABELS = {
    Severity.ERROR: _lazy("error"),
    Severity.WARNING: _lazy("warning"),
    Severity.INFO: _lazy("info"),
}


def accounts_to_watch(now: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    """Customers' accounts that staff should look at: a removal of two-factor authentication waiting (its
    owner may keep it; staff may withdraw it, or approve it as the second member of staff), one its owner
    stopped lately (whoever asked for it was probably not them), and notices to their owner given up lately
    (tell them another way). Each with the person it belongs to, for a link to their page."""
    from trustdesk.accounts.models import TwoFactorRemoval, UnsentNotice
    from trustdesk.accounts.notices import GIVEN_UP_SHOWN
    from trustdesk.accounts.services import awaits_approval

    person = "user__profile__person"
    removals = (
        TwoFactorRemoval.objects.filter(ended_at__isnull=True).select_related(person).order_by("due_at")
    )
    kept = (
        TwoFactorRemoval.objects.filter(
            outcome=TwoFactorRemoval.Outcome.KEPT, ended_at__gte=now - GIVEN_UP_SHOWN
        )
        .select_related(person)
        .order_by("-ended_at")
    )
    given_up = (
        UnsentNotice.objects.filter(given_up_at__gte=now - GIVEN_UP_SHOWN)
        .select_related(person)
        .order_by("-given_up_at")
    )

    def whose(user: Any) -> Any:
        profile = getattr(user, "profile", None)
        return getattr(profile, "person", None)

    return {
        "removals": [
            {
                "person": whose(r.user),
                "user": r.user,
                "at": r.due_at,
                "to_approve": awaits_approval(r),
            }
            for r in removals[:50]
        ],
        "kept": [{"person": whose(r.user), "user": r.user, "at": r.ended_at} for r in kept[:50]],
        "given_up": [{"person": whose(n.user), "user": n.user, "at": n.given_up_at} for n in given_up[:50]],
    }


@require_safe
@staff_required(*REQUEST_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    today = timezone.localdate(now)
    weekly, legend, received = charts.requests_per_week(today)
    median_chart, median, answered = charts.median_days(today)
    urgency_chart, by_urgency = charts.open_by_urgency(today)
    return render(
        request,
        "console/dashboard.html",
        {
            "weekly": weekly,
            "legend": legend,
            "received": received,
            "median_chart": median_chart,
            "median": median,
            "answered": answered,
            "urgency_chart": urgency_chart,
            "overdue": by_urgency[Urgency.OVERDUE],
            "open_count": sum(by_urgency.values()),
            "weeks": charts.WEEKS,
            "accounts": accounts_to_watch(now),
            "looks": looks_by_staff(now) if role_of(request.user) in OVERSIGHT_ROLES else None,
            "looks_days": LOOKS_WINDOW.days,
            "section": "dashboard",
        },
    )


@require_safe
@staff_required(*POLICY_ROLES)
def policy(request: HttpRequest) -> HttpResponse:
    version = version_in_effect()
    found: list[Finding] = []
    if version is not None:
        loaded = version.loaded
        found = lint(loaded) + check_against_datamap(loaded)
    findings = [
        {
            "finding": f,
            "tone": f"tone tone-{SEVERITY_TONES[f.severity]}",
            "severity": SEVERITY_LABELS[f.severity],
        }
        for f in found
    ]
    entries = sorted(personal_fields(), key=lambda e: (e.model, e.field))
    return render(
        request,
        "console/policy.html",
        {
            "version": version,
            "upcoming": upcoming_versions(),
            "findings": findings,
            "errors": sum(1 for f in found if f.severity is Severity.ERROR),
            "entries": entries,
            "section": "policy",
        },
    )
