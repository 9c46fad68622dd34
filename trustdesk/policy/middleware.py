"""Which policy version is in effect is asked once per request (``queries.request_scope``)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from trustdesk.policy.queries import request_scope


class PolicyVersionMiddleware:
    """Every request is served in a scope of its own: the middleware after this one, the view, its
    templates and the services it calls share one answer to "which version is in effect today"."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_scope():
            return self.get_response(request)
