"""The benchmark's URLconf: every URL of Trustdesk, and a plain Django page as the reference.

The plain page renders a small template through the same middleware and server as the product's
pages, and reads nothing from the database itself. The same page behind the log-in
(``login_required``) is the floor of every signed-in page: what the middleware does for a signed-in
request (the session, the user, the session's activity, the role, the policy in effect and the
two-factor check) and nothing of a product page's own."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from trustdesk.urls import urlpatterns as trustdesk_urlpatterns

PLAIN_PATH = "bench/plain/"
PLAIN_SIGNED_IN_PATH = "bench/plain-signed-in/"

_TEMPLATE = engines["django"].from_string(
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>'
    "<body><h1>{{ title }}</h1><ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul></body></html>"
)


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        _TEMPLATE.render({"title": "Plain page", "items": range(10)}, request), content_type="text/html"
    )


@login_required
def plain_signed_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        _TEMPLATE.render({"title": "Plain page, signed in", "items": range(10)}, request),
        content_type="text/html",
    )


urlpatterns = [
    path(PLAIN_PATH, plain, name="bench_plain"),
    path(PLAIN_SIGNED_IN_PATH, plain_signed_in, name="bench_plain_signed_in"),
    *trustdesk_urlpatterns,
]
