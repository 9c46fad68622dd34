"""The cookie settings page and the choice form, which works without JavaScript (P2.2)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from trustdesk.accounts import throttle
from trustdesk.consent.cookie_services import do_record_cookie_choice
from trustdesk.consent.cookies import (
    _version,
    set_choice_cookie,
    visitor_choice,
    withdraw_refused,
)
from trustdesk.consent.models import CookieChoiceKind
from trustdesk.lib.languages import page_language


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("consent:cookies") + "?saved=1"


@never_cache
@require_http_methods(["GET", "POST"])
def cookie_settings(request: HttpRequest) -> HttpResponse:
    version = _version(request)
    if request.method == "GET":
        return render(
            request,
            "consent/cookies.html",
            {"saved": request.GET.get("saved") == "1" and visitor_choice(request).consent_id is not None},
        )
    if version is None:
        return render(request, "consent/cookies.html", {"error": "no_policy"}, status=503)
    choice = request.POST.get("choice", "")
    if choice not in CookieChoiceKind.values:
        return render(request, "consent/cookies.html", {"error": "no_choice"}, status=400)
    try:
        # Per client address, like the other public forms: every choice is a row of proof.
        throttle.hit_request(request, "cookie_choice")
    except throttle.Throttled as exc:
        return render(
            request, "consent/cookies.html", {"error": "throttled", "message": exc.message()}, status=429
        )
    current = visitor_choice(request)
    row = do_record_cookie_choice(
        version,
        choice,
        selected=request.POST.getlist("purpose"),
        consent_id=current.consent_id,
        lang=page_language(),
    )
    response = HttpResponseRedirect(_next(request), status=303)
    policy = version.loaded.policy
    set_choice_cookie(response, row.consent_id, policy)
    withdraw_refused(request, response, policy, set(row.accepted))
    return response
