"""Reading requests: the queue, due first."""

from __future__ import annotations

from trustdesk.rights.models import Request, Status


def queue(*, include_closed: bool = False) -> list[Request]:
    """Open requests by due date, earliest (overdue) first; closed ones after them when asked."""
    open_ = list(Request.objects.exclude(status__in=Status.closed()).order_by("due_on", "received_at", "pk"))
    if not include_closed:
        return open_
    closed = list(Request.objects.filter(status__in=Status.closed()).order_by("-closed_at", "-pk"))
    return open_ + closed
