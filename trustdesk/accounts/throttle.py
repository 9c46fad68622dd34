"""Per-address throttling for log-in, password reset and public forms (P2.13), and the API's rate.

A throttle counts requests per scope and per address within a window and refuses the next one once
the limit is reached. The address (a client's IP address, or an e-mail address) is never stored: the
count is keyed by its keyed pseudonym (:mod:`trustdesk.lib.pseudonyms`). Counts live in the database,
so every worker process sees the same numbers.

Public forms of any app call it the same way::

    from trustdesk.accounts import throttle

    try:
        throttle.hit_request(request, "public_form")
    except throttle.Throttled as exc:
        form.add_error(None, exc.message())

The API's limit per token (scope ``api``) is counted by the API itself, a counter per token and minute
(:func:`trustdesk.api.services.count_request`), with its rate read here.

Limits per scope are ``settings.TRUSTDESK_THROTTLE`` (``scope: (requests, seconds)``), set from the
environment (README); a caller may pass its own ``limit`` and ``window``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext

from trustdesk.accounts.models import ThrottleHit
from trustdesk.lib.pseudonyms import pseudonymise


class Throttled(Exception):
    """Too many requests from one address; ``retry_after`` says when the next one is accepted."""

    def __init__(self, scope: str, retry_after: dt.datetime) -> None:
        super().__init__(f"throttle {scope!r}: too many requests, retry after {retry_after.isoformat()}")
        self.scope = scope
        self.retry_after = retry_after

    def message(self) -> str:
        """A sentence for the person, in the active language."""
        when = formats.date_format(timezone.localtime(self.retry_after), "DATETIME_FORMAT")
        return gettext("Too many attempts from your address. Try again after %(when)s.") % {"when": when}


def rate(scope: str) -> tuple[int, dt.timedelta]:
    try:
        limit, seconds = settings.TRUSTDESK_THROTTLE[scope]
    except KeyError:
        known = ", ".join(sorted(settings.TRUSTDESK_THROTTLE))
        raise ValueError(f"no throttle scope {scope!r}; known scopes: {known}") from None
    return int(limit), dt.timedelta(seconds=int(seconds))


def key_for(address: str, kind: str) -> str:
    """The keyed pseudonym an address is counted under."""
    return pseudonymise(address, kind=kind)


def client_address(request: HttpRequest) -> str:
    """The client's IP address: the connection's, or behind the proxy the one the proxy saw."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return str(request.META.get("REMOTE_ADDR") or "0.0.0.0")  # noqa: S104  (no address: one shared bucket)


def hit(
    scope: str,
    address: str,
    *,
    kind: str = "ip",
    limit: int | None = None,
    window: dt.timedelta | None = None,
) -> None:
    """Count one request of ``address`` in ``scope``; raise :class:`Throttled` when over the limit.

    A refused request is not counted, so that a client that waits gets through when its window moves on.
    """
    default_limit, default_window = rate(scope)
    limit = default_limit if limit is None else limit
    window = default_window if window is None else window
    key = key_for(address, kind)
    now = timezone.now()
    start = now - window
    with transaction.atomic():
        # Counts that no window needs any more go, for every address of the scope: nothing is kept longer.
        ThrottleHit.objects.filter(scope=scope, at__lt=now - max(window, default_window)).delete()
        recent = ThrottleHit.objects.filter(scope=scope, key=key, at__gte=start).order_by("at")
        if recent.count() >= limit:
            oldest = recent.values_list("at", flat=True)[0]
            raise Throttled(scope, oldest + window)
        ThrottleHit.objects.create(scope=scope, key=key, at=now)


def hit_request(
    request: HttpRequest, scope: str, *, limit: int | None = None, window: dt.timedelta | None = None
) -> None:
    """Count a request by its client's IP address (see :func:`hit`)."""
    hit(scope, client_address(request), kind="ip", limit=limit, window=window)


def purge(older_than: dt.timedelta) -> int:
    """Delete the counts older than this; returns how many went."""
    deleted, _ = ThrottleHit.objects.filter(at__lt=timezone.now() - older_than).delete()
    return deleted
