"""Reading requests: the queue, due first."""

from __future__ import annotations

from trustdesk.rights.models import Request, Status


def queue(
    *,
    include_closed: bool = False,
    kind: str | None = None,
    status: str | None = None,
    closed_limit: int | None = None,
) -> list[Request]:
    """Open requests by due date, earliest (overdue) first; closed ones after them when asked.

    ``kind`` and ``status`` narrow the list; ``closed_limit`` keeps the most recently closed only."""
    found = Request.objects.select_related("person")
    if kind:
        found = found.filter(kind=kind)
    if status:
        found = found.filter(status=status)
        include_closed = include_closed or status in Status.closed()
    open_ = list(found.exclude(status__in=Status.closed()).order_by("due_on", "received_at", "pk"))
    if not include_closed:
        return open_
    closed = found.filter(status__in=Status.closed()).order_by("-closed_at", "-pk")
    return open_ + list(closed[:closed_limit] if closed_limit is not None else closed)
