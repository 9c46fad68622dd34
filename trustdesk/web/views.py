"""The public front page, and the page of a request Django could not accept (400)."""

from __future__ import annotations

from django.core.exceptions import (
    DisallowedHost,
    DisallowedRedirect,
    RequestDataTooBig,
    SuspiciousMultipartForm,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseServerError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template import loader
from django.urls import get_script_prefix
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


#: What the 400 page says was wrong, by the kind of exception; checked in this order (subclasses first).
BAD_REQUEST_REASONS = (
    (DisallowedHost, _("This site does not answer to the host name in the address you used.")),
    (DisallowedRedirect, _("The address you used is too long to be sent on to another page.")),
    (RequestDataTooBig, _("What was sent is larger than this site accepts.")),
    (
        (TooManyFieldsSent, TooManyFilesSent),
        _("What was sent holds more fields or files than this site accepts."),
    ),
    ((SuspiciousMultipartForm, MultiPartParserError), _("The form's data could not be read.")),
)
#: What it says of any other bad request.
BAD_REQUEST_OTHERWISE = _("The request could not be read.")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 400 page (``handler400``): in the visitor's language, naming what was wrong by the kind of
    error, never with the error's own text (it can hold what was sent). Rendered without the request: its
    host may be what is wrong, and the context processors would ask for it again."""
    reason = next(
        (said for kinds, said in BAD_REQUEST_REASONS if isinstance(exception, kinds)), BAD_REQUEST_OTHERWISE
    )
    return HttpResponseBadRequest(loader.get_template("400.html").render({"reason": reason}))


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page (``handler500``): Django's own, with the link home under the prefix Trustdesk is served
    at (``SCRIPT_NAME``), which the page cannot ask of the URL configuration: after an error nothing on it
    may fail."""
    return HttpResponseServerError(loader.get_template("500.html").render({"home": get_script_prefix()}))
