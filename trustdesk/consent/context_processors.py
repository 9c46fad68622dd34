"""The cookie banner's content for every page (P2.2): the policy's cookies by purpose, and the visitor's choice."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from trustdesk.consent.cookies import (
    _version,
    necessary_cookies,
    optional_purposes,
    visitor_choice,
)
from trustdesk.lib.languages import page_language
from trustdesk.policy.schema import Cookie, Policy


def _cookie(cookie: Cookie, lang: str) -> dict[str, Any]:
    return {
        "name": cookie.name,
        "description": cookie.description.get(lang),
        "session": isinstance(cookie.expiry, str),
        "expiry": "" if isinstance(cookie.expiry, str) else cookie.expiry.words(lang),
    }


def cookie_choices(policy: Policy, lang: str, accepted: set[str]) -> dict[str, Any]:
    """What the cookie form lists: the strictly necessary cookies, then each purpose with its cookies."""
    return {
        "necessary": [_cookie(cookie, lang) for cookie in necessary_cookies(policy)],
        "purposes": [
            {
                "key": key,
                "name": policy.purposes[key].name.get(lang) if key in policy.purposes else key,
                "cookies": [_cookie(cookie, lang) for cookie in cookies],
                "accepted": key in accepted,
            }
            for key, cookies in optional_purposes(policy).items()
        ],
    }


def cookie_banner(request: HttpRequest) -> dict[str, Any]:
    version = _version(request)
    if version is None:
        return {"cookie_form": None, "cookie_banner": False}
    policy = version.loaded.policy
    asked = page_language()
    lang = asked if asked in policy.languages else policy.languages[0]
    choice = visitor_choice(request)
    form = cookie_choices(policy, lang, choice.accepted)
    return {
        "cookie_form": form,
        "cookie_choice": choice,
        # The banner asks only where there is something to consent to, and not on the settings page itself.
        "cookie_banner": choice.ask
        and bool(form["purposes"])
        and request.resolver_match is not None
        and request.resolver_match.view_name != "consent:cookies",
        "cookie_next": request.get_full_path(),
    }
