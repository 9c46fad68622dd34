"""Reading requests: the queue, due first."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from trustdesk.rights.models import Event, Request, Status

#: What a case number is made of (``R-2026-7KQ4MX``): letters, digits and hyphens, as many as its column holds.
_REFERENCE = re.compile(rf"[A-Za-z0-9-]{{1,{Request._meta.get_field('reference').max_length}}}")


def is_reference(text: str) -> bool:
    """Whether the text can be a case number. Any other text (a mistyped or forged address) names no request
    and is not looked up: PostgreSQL refuses a NUL character in a query with an error, a 500 answer."""
    return bool(_REFERENCE.fullmatch(text))


#: Timeline lines after which the e-mails not sent before them are settled: staff recorded how the person
#: was told (``mail_handled``), or a new link replaced the links not sent (``link_replaced``).
MAIL_SETTLED = frozenset({"mail_handled", "link_replaced"})


def unsent_since_handled(timeline: Sequence[Event]) -> list[Event]:
    """The ``mail_not_sent`` lines of a request's timeline (in order of time) since the last line that settled
    them (:data:`MAIL_SETTLED`): the e-mails whose content the person has not had yet. Each line's note is
    ``<template>: <why>``."""
    unsent: list[Event] = []
    for event in reversed(timeline):
        if event.action in MAIL_SETTLED:
            break
        if event.action == "mail_not_sent":
            unsent.append(event)
    unsent.reverse()
    return unsent


def queue_queryset(
    *,
    include_closed: bool = False,
    kind: str | None = None,
    status: str | None = None,
    unsent: bool = False,
) -> QuerySet[Request]:
    """The queue as one query: open requests by due date, earliest (overdue) first, then (when asked, or
    when ``status`` is a closed one) the closed ones, the most recently closed first.

    One ordered query, so that a page of it (``Paginator``) reads only its own rows."""
    found = Request.objects.all()
    if unsent:  # an e-mail not sent is staff's business whether the request is open or closed
        found = found.filter(mail_failed_at__isnull=False)
        include_closed = True
    if kind:
        found = found.filter(kind=kind)
    if status:
        found = found.filter(status=status)
        include_closed = include_closed or status in Status.closed()
    closed = Status.closed()
    if not include_closed:
        return found.exclude(status__in=closed).order_by("due_on", "received_at", "pk")
    return found.annotate(
        queue_closed=Case(
            When(status__in=closed, then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    ).order_by(
        "queue_closed",
        # Open ones by due date (closed ones have the same NULL here), closed ones by closing, newest first.
        Case(When(status__in=closed, then=None), default=F("due_on")).asc(),
        F("closed_at").desc(nulls_last=True),
        "received_at",
        "pk",
    )


def queue(
    *, include_closed: bool = False, kind: str | None = None, status: str | None = None
) -> list[Request]:
    """The whole queue as a list (the command line's ``trustdesk request list``), in the order of
    :func:`queue_queryset`."""
    return list(
        queue_queryset(include_closed=include_closed, kind=kind, status=status).select_related("person")
    )


@dataclass(frozen=True)
class QueueCounts:
    """How many requests are open, and how many of them overdue, today, and how many requests (open or
    closed) have an e-mail not sent (whatever the filters)."""

    open: int
    overdue: int
    unsent: int


def queue_counts(today: dt.date | None = None) -> QueueCounts:
    """One aggregate query over every open request, and a count on the index of ``mail_failed_at``."""
    day = today or timezone.localdate()
    counted = Request.objects.exclude(status__in=Status.closed()).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=day))
    )
    unsent = Request.objects.filter(mail_failed_at__isnull=False).count()
    return QueueCounts(open=counted["open"], overdue=counted["overdue"], unsent=unsent)
