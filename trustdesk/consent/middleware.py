"""No optional cookie without consent (P2.2), whoever tries to set it.

On every response that sets cookies, a cookie the policy in effect declares for a purpose the
visitor has not accepted is taken out of the response (and logged by name, never by value). A
cookie the policy does not declare at all is logged as a warning, so that the operator declares it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from trustdesk.consent.cookies import STRICTLY_NECESSARY, _version, allowed, declared, trustdesk_cookies

log = logging.getLogger(__name__)


class CookieConsentMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not response.cookies:
            return response
        version = _version(request)
        if version is None:
            return response
        policy = version.loaded.policy
        own = {cookie.name for cookie in trustdesk_cookies(None)}
        for name in list(response.cookies):
            morsel = response.cookies[name]
            if morsel["max-age"] == 0 or morsel.value == "":
                continue  # a deletion is always allowed: it is how a withdrawal takes effect
            cookie = declared(policy, name)
            if cookie is None:
                if name not in own:
                    log.warning("cookie %r is set but the policy in effect does not declare it", name)
                continue
            if cookie.purpose != STRICTLY_NECESSARY and not allowed(request, cookie.purpose):
                del response.cookies[name]
                log.info("cookie %r left out: the visitor has not accepted purpose %r", name, cookie.purpose)
        return response
