"""Reading published policy versions."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from trustdesk.policy.models import PolicyVersion


def today() -> dt.date:
    return timezone.localdate()


def version_in_effect(on: dt.date | None = None) -> PolicyVersion | None:
    """The version that applies on a day: the newest one whose effective date has come."""
    day = on or today()
    return (
        PolicyVersion.objects.filter(effective_from__lte=day).order_by("-effective_from", "-number").first()
    )


def upcoming_versions(on: dt.date | None = None) -> list[PolicyVersion]:
    day = on or today()
    return list(PolicyVersion.objects.filter(effective_from__gt=day).order_by("effective_from", "number"))


def latest_version() -> PolicyVersion | None:
    return PolicyVersion.objects.order_by("-number").first()


def versions_with_periods(on: dt.date | None = None) -> list[tuple[PolicyVersion, dt.date | None, str]]:
    """Every version, newest first, with the day its successor took over and its state.

    State is 'in effect', 'upcoming', 'superseded' or 'never in effect' (replaced before its day came).
    """
    day = on or today()
    current = version_in_effect(day)
    ordered = list(PolicyVersion.objects.order_by("effective_from", "number"))
    rows: list[tuple[PolicyVersion, dt.date | None, str]] = []
    for index, version in enumerate(ordered):
        later = [v for v in ordered[index + 1 :] if v.effective_from >= version.effective_from]
        until = later[0].effective_from if later else None
        if current is not None and version.pk == current.pk:
            state = "in effect"
        elif version.effective_from > day:
            state = "upcoming"
        elif until is not None and until <= version.effective_from:
            state = "never in effect"
        else:
            state = "superseded"
        rows.append((version, until, state))
    rows.reverse()
    return rows
