"""Reading published policy versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import timezone

from trustdesk.policy.models import PolicyVersion


def today() -> dt.date:
    return timezone.localdate()


#: Published versions read in this process, keyed by every column but the text (whose hash is one of
#: them). A version never changes (``PolicyVersion.save`` refuses), so a version read once holds for as
#: long as the process runs; the key carries all its small columns, so that a database rebuilt under the
#: same ids (a restore, the tests) is never answered from an older copy.
_VERSIONS: dict[tuple[Any, ...], PolicyVersion] = {}
_VERSIONS_KEPT = 32
_KEY_FIELDS = ("pk", "number", "sha256", "effective_from", "published_at", "published_by", "source_name")


#: The answers of ``version_in_effect`` within the web request being served (``request_scope``), by
#: day: the middleware, the page, its context processors and the services it calls ask the database
#: once. Outside a request (commands, jobs, the tests' direct calls) every call asks.
_IN_REQUEST: ContextVar[dict[dt.date, PolicyVersion | None] | None] = ContextVar(
    "trustdesk_policy_versions_in_request", default=None
)


@contextmanager
def request_scope() -> Iterator[None]:
    """Within it, which version is in effect on a day is asked once (``PolicyVersionMiddleware``)."""
    token = _IN_REQUEST.set({})
    try:
        yield
    finally:
        _IN_REQUEST.reset(token)


def forget_versions_in_request() -> None:
    """A version was published: the rest of the request asks again."""
    answers = _IN_REQUEST.get()
    if answers is not None:
        answers.clear()


def version_in_effect(on: dt.date | None = None) -> PolicyVersion | None:
    """The version that applies on a day: the newest one whose effective date has come.

    Each call asks the database which version that is (a small indexed query that reads no policy
    text), so a version published by another process counts at once, at the latest on the next
    request (within one request the answer is kept: ``request_scope``); the version itself, its
    text and its loaded policy, come from this process's copy once read."""
    day = on or today()
    answers = _IN_REQUEST.get()
    if answers is not None and day in answers:
        return answers[day]
    version = _version_on(day)
    if answers is not None:
        answers[day] = version
    return version


def _version_on(day: dt.date) -> PolicyVersion | None:
    key = (
        PolicyVersion.objects.filter(effective_from__lte=day)
        .order_by("-effective_from", "-number")
        .values_list(*_KEY_FIELDS)
        .first()
    )
    if key is None:
        return None
    kept = _VERSIONS.get(key)
    if kept is not None:
        return kept
    version = PolicyVersion.objects.filter(pk=key[0]).first()
    if version is None:  # deleted between the two queries (only a test database does that)
        return None
    if len(_VERSIONS) >= _VERSIONS_KEPT:
        _VERSIONS.clear()
    _VERSIONS[tuple(getattr(version, name) for name in _KEY_FIELDS)] = version
    return version


def version_for_request(request: HttpRequest) -> PolicyVersion | None:
    """The version in effect, looked up once per request (the middleware, the page and its context
    processors share it); None when there is none or the database cannot be read."""
    if not hasattr(request, "_trustdesk_version"):
        try:
            request._trustdesk_version = version_in_effect()  # type: ignore[attr-defined]
        except DatabaseError:
            request._trustdesk_version = None  # type: ignore[attr-defined]
    version: PolicyVersion | None = request._trustdesk_version  # type: ignore[attr-defined]
    return version


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
