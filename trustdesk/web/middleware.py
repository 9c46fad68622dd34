"""Middleware of the web layer: what a request carries that code outside Trustdesk's would send to the
database as it stands, and the page for an e-mail that could not be sent.

PostgreSQL refuses a NUL character in text, in a value to store as in a value to look up, with an error:
a 500 answer. Trustdesk's pages and the API check the values they read (a case number, a token, every
field of a form or a body); these two cover the browser's name, which allauth and the journal store, and
the addresses of the Django admin, which looks up what they name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext

from trustdesk.lib import mail
from trustdesk.lib.mail import MailNotSent


class UserAgentMiddleware:
    """Drops NUL characters from the User-Agent header. The browser's name is stored with each signed-in
    session (allauth's) and in the journal's log-in and log-off entries. gunicorn refuses such a header
    with 400; another server may pass it on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        agent = request.META.get("HTTP_USER_AGENT")
        if isinstance(agent, str) and "\x00" in agent:
            request.META["HTTP_USER_AGENT"] = agent.replace("\x00", "")
        return self.get_response(request)


class AdminAddressMiddleware:
    """Refuses an address of the admin with a NUL character: 400, with a sentence that says why.

    The admin looks up what its address names as it stands: the filters of a list (``?kind=...``) and a
    record's id in the path (the name of a job lock). No search, filter or record of the admin holds a NUL
    character."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.app_name != "admin" or not _has_nul(request):
            return None
        return HttpResponseBadRequest(
            gettext(
                "The address contains a NUL character, which no search, filter or record of the admin can hold."
            ),
            content_type="text/plain; charset=utf-8",
        )


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path_info:
        return True
    return any(
        "\x00" in name or any("\x00" in value for value in values) for name, values in request.GET.lists()
    )


class MailNotSentMiddleware:
    """Answers 503 with a page that says what happened when an e-mail could not be sent.

    E-mail is sent when the action's transaction commits (``trustdesk.lib.mail``), so what the person did
    is stored by then; without this page they would see the general error page and might do it again.
    Every e-mail of the request is tried (``mail.reporting``): one that fails does not keep the next from
    being sent. A failure is logged by ``trustdesk.lib.mail`` (the template and the kind of failure, no
    address) and noted on the request it was about, where staff see it. The API answers the same in JSON
    (``trustdesk.api.api.mail_not_sent``), with the case numbers concerned. A staff action of the console
    goes on to the request's page as usual, with a message: that page lists what was not sent.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with mail.reporting() as failures:
            response = self.get_response(request)
        if not failures:
            return response
        match = getattr(request, "resolver_match", None)
        if match is not None and "console" in match.namespaces and response.status_code in (302, 303):
            # Staff go on to the request's page as after any action, which lists what was not sent.
            messages.error(
                request,
                gettext(
                    "Done and recorded, but an e-mail to the person could not be sent. It is noted on the "
                    "request: send the link again, or tell the person another way and record how."
                ),
            )
            return response
        return self._answer(request, mail.combined(failures))

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, MailNotSent):
            return None
        return self._answer(request, exception)

    @staticmethod
    def _answer(request: HttpRequest, failure: MailNotSent) -> HttpResponse:
        match = getattr(request, "resolver_match", None)
        if match is not None and "api" in match.namespaces:
            from trustdesk.api.api import mail_not_sent

            return mail_not_sent(request, failure)
        return render(
            request,
            "web/mail_not_sent.html",
            {"stored": failure.stored, "references": failure.references},
            status=503,
        )
