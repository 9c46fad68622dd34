"""Cookie consent (P2.2): which cookies need the visitor's consent, what they chose, and the choice cookie.

The policy in effect declares every cookie (``cookies``: name, purpose or ``strictly_necessary``,
description, expiry). Strictly necessary cookies need no consent; every other cookie belongs to a
purpose of the policy and may be set only once the visitor accepted that purpose. The visitor's
choice is kept on the server as :class:`~trustdesk.consent.models.CookieChoice` rows and in the
browser as the choice cookie, which holds only the random consent id (24 characters, nothing
readable) and is itself strictly necessary: it remembers the choice.

Trustdesk itself sets only strictly necessary cookies (see :func:`trustdesk_cookies` and
docs/cookies.md). Code that sets an optional cookie asks :func:`allowed` first;
:class:`~trustdesk.consent.middleware.CookieConsentMiddleware` removes from every response an
optional cookie whose purpose the visitor has not accepted, whoever set it.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from trustdesk.lib.durations import Duration
from trustdesk.policy.models import PolicyVersion
from trustdesk.policy.schema import Cookie, Policy

STRICTLY_NECESSARY = "strictly_necessary"
#: The choice cookie's name; behind TLS with the __Host- prefix, like the session and CSRF cookies.
CHOICE_COOKIE_PLAIN = "cookie_consent"
#: How long the choice cookie lasts when the policy does not declare it: six months, after which the
#: visitor is asked again (the policy's own declaration of the cookie wins).
DEFAULT_CHOICE_EXPIRY = Duration(months=6)

_CONSENT_ID = re.compile(r"^[A-Za-z0-9_-]{24}$")


def choice_cookie_name() -> str:
    return f"__Host-{CHOICE_COOKIE_PLAIN}" if settings.HTTPS else CHOICE_COOKIE_PLAIN


def new_consent_id() -> str:
    """A random consent id: 18 random bytes, URL-safe base64 (24 characters)."""
    return secrets.token_urlsafe(18)


def is_consent_id(value: str) -> bool:
    return bool(_CONSENT_ID.fullmatch(value))


@dataclass(frozen=True)
class OwnCookie:
    """A cookie Trustdesk itself sets; all of them are strictly necessary."""

    name: str
    #: Other names the policy may declare it under (the name without TLS, or with it).
    aliases: tuple[str, ...]
    purpose: str
    #: Seconds, or None for a cookie that ends with the browser session.
    max_age: int | None


def trustdesk_cookies(policy: Policy | None = None) -> list[OwnCookie]:
    """The cookies Trustdesk sets, with the names and lifetimes of these settings."""
    session_age = None if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE else int(settings.SESSION_COOKIE_AGE)
    csrf_age = None if settings.CSRF_COOKIE_AGE is None else int(settings.CSRF_COOKIE_AGE)
    return [
        OwnCookie(
            settings.SESSION_COOKIE_NAME,
            ("sessionid", "__Host-session"),
            "keeps a logged-in user logged in (and, for anyone, a half-done log-in or reset)",
            session_age,
        ),
        OwnCookie(
            settings.CSRF_COOKIE_NAME,
            ("csrftoken", "__Host-csrftoken"),
            "protects forms against cross-site request forgery",
            csrf_age,
        ),
        OwnCookie(
            choice_cookie_name(),
            (CHOICE_COOKIE_PLAIN, f"__Host-{CHOICE_COOKIE_PLAIN}"),
            "remembers the visitor's cookie choice (the random consent id only)",
            choice_max_age(policy),
        ),
    ]


def declared(policy: Policy, name: str) -> Cookie | None:
    """The policy's declaration of a cookie by name, or under its name with or without TLS."""
    names = {name}
    for own in trustdesk_cookies(None):
        if name == own.name or name in own.aliases:
            names |= {own.name, *own.aliases}
    for cookie in policy.cookies:
        if cookie.name in names:
            return cookie
    return None


def seconds(duration: Duration, now: dt.datetime | None = None) -> int:
    start = now or timezone.now()
    end = duration.add_to(start)
    if not isinstance(end, dt.datetime):  # add_to gives a datetime for a datetime
        raise TypeError("a duration added to a moment gives a moment")
    return int((end - start).total_seconds())


def choice_max_age(policy: Policy | None) -> int | None:
    """The choice cookie's lifetime: as the policy declares it, else six months; None for 'session'."""
    cookie = declared(policy, CHOICE_COOKIE_PLAIN) if policy is not None else None
    if cookie is None:
        return seconds(DEFAULT_CHOICE_EXPIRY)
    if isinstance(cookie.expiry, str):
        return None
    return seconds(cookie.expiry)


def optional_purposes(policy: Policy) -> dict[str, list[Cookie]]:
    """The purposes with cookies that need consent, in the order the policy first names them."""
    found: dict[str, list[Cookie]] = {}
    for cookie in policy.cookies:
        if cookie.purpose != STRICTLY_NECESSARY:
            found.setdefault(cookie.purpose, []).append(cookie)
    return found


def necessary_cookies(policy: Policy) -> list[Cookie]:
    return [cookie for cookie in policy.cookies if cookie.purpose == STRICTLY_NECESSARY]


@dataclass
class VisitorChoice:
    """Where the visitor's cookie consent stands under the policy in effect."""

    #: The consent id from the choice cookie when it names a recorded choice.
    consent_id: str | None = None
    #: The purposes accepted (of those the policy in effect still has).
    accepted: set[str] = field(default_factory=set)
    #: The visitor is to be asked: no choice yet, or the policy has purposes they were not asked about.
    ask: bool = False
    #: The latest recorded choice, if any.
    latest_at: dt.datetime | None = None


def _version(request: HttpRequest) -> PolicyVersion | None:
    from trustdesk.policy.queries import version_for_request

    return version_for_request(request)


def visitor_choice(request: HttpRequest) -> VisitorChoice:
    """The visitor's choice (read once per request): from the choice cookie and its recorded rows."""
    cached: VisitorChoice | None = getattr(request, "_trustdesk_cookie_choice", None)
    if cached is not None:
        return cached
    from trustdesk.consent.queries import latest_cookie_choice

    version = _version(request)
    optional = set(optional_purposes(version.loaded.policy)) if version is not None else set()
    result = VisitorChoice()
    raw = request.COOKIES.get(choice_cookie_name(), "")
    latest = latest_cookie_choice(raw) if is_consent_id(raw) else None
    if latest is not None:
        result.consent_id = raw
        result.latest_at = latest.at
        result.accepted = set(latest.accepted) & optional
        result.ask = bool(optional - set(latest.offered))
    else:
        result.ask = bool(optional)
    request._trustdesk_cookie_choice = result  # type: ignore[attr-defined]
    return result


def allowed(request: HttpRequest, purpose: str) -> bool:
    """Whether a cookie for ``purpose`` may be set for this visitor: strictly necessary, or accepted."""
    return purpose == STRICTLY_NECESSARY or purpose in visitor_choice(request).accepted


def set_choice_cookie(response: HttpResponseBase, consent_id: str, policy: Policy) -> None:
    response.set_cookie(
        choice_cookie_name(),
        consent_id,
        max_age=choice_max_age(policy),
        path="/",
        secure=settings.HTTPS,
        httponly=True,
        samesite="Lax",
    )


def withdraw_refused(
    request: HttpRequest, response: HttpResponseBase, policy: Policy, accepted: set[str]
) -> None:
    """Delete from the browser the optional cookies of purposes no longer accepted."""
    for purpose, cookies in optional_purposes(policy).items():
        if purpose in accepted:
            continue
        for cookie in cookies:
            if cookie.name in request.COOKIES:
                response.delete_cookie(cookie.name, path="/", samesite="Lax")
