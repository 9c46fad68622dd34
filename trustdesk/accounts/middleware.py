"""Two-factor rules of the policy in effect: required for staff (and customers when the policy says so),
unavailable to customers when it says so; the absolute limit on a signed-in session's age; and the
tracking of signed-in sessions' activity.

A user who must have an authenticator app and has none is sent to set one up before anything else;
only the two-factor pages themselves, log-off and static files stay open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from allauth.usersessions.internal import usersessionkit
from django.conf import settings
from django.contrib import messages
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext

from trustdesk.accounts.access import role_of, user_has_two_factor
from trustdesk.accounts.models import Profile
from trustdesk.lib import prepared

#: URL names a user without a required authenticator may still reach.
_SETUP_NAMES = {"account_logout", "account_reauthenticate", "account_login"}


def two_factor_rules(request: HttpRequest | None = None) -> tuple[str, str] | None:
    """(staff, customers) from the policy in effect, or None when none is; with the request, the version
    it has already looked up (``version_for_request``)."""
    from trustdesk.policy.queries import version_for_request, version_in_effect

    version = version_for_request(request) if request is not None else version_in_effect()
    if version is None:
        return None
    rules = version.loaded.policy.security.two_factor
    return rules.staff, rules.customers


def audience(user: object) -> str | None:
    """'staff', 'customer' or None (a visitor, or a user of neither kind)."""
    role = role_of(user)  # type: ignore[arg-type]
    if role == Profile.Role.CUSTOMER:
        return "customer"
    if role is not None or getattr(user, "is_staff", False):
        return "staff"
    return None


def two_factor_requirement(user: object, request: HttpRequest | None = None) -> str | None:
    """'required', 'optional' or 'unavailable' for this user under the policy in effect."""
    kind = audience(user)
    if kind is None:
        return None
    rules = two_factor_rules(request)
    if rules is None:
        return None
    return rules[0] if kind == "staff" else rules[1]


class TwoFactorMiddleware:
    """Checks every request that reaches a view (``process_view``: the URL is resolved by then, so it is
    not resolved twice); a URL that resolves to nothing gets its 404 as before."""

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
        if not request.user.is_authenticated:
            return None
        return self._enforce(request)

    def _enforce(self, request: HttpRequest) -> HttpResponse | None:
        match = request.resolver_match
        name = (match.url_name if match is not None else None) or ""
        requirement = two_factor_requirement(request.user, request)
        is_mfa_page = name.startswith("mfa_")
        if requirement == "unavailable" and is_mfa_page:
            raise Http404("two-factor authentication is not offered to customers")
        if (
            requirement == "required"
            and not is_mfa_page
            and name not in _SETUP_NAMES
            and not user_has_two_factor(request.user)
        ):
            messages.warning(
                request,
                gettext("Set up two-factor authentication with an authenticator app before you continue."),
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return None


#: The session key holding when the session was signed in (a POSIX timestamp, set at log-in).
SESSION_BEGAN = "trustdesk_signed_in_at"
#: Why a session ended, as the log-off's journal entry gives it (``reason`` in its payload).
SESSION_LIMIT_REASON = "session_limit"


def session_limit() -> dt.timedelta:
    """How long a signed-in session lasts at most, whatever its activity: ``SESSION_COOKIE_AGE``."""
    return dt.timedelta(seconds=int(settings.SESSION_COOKIE_AGE))


def mark_session_begun(session: SessionBase) -> None:
    """Record in the session that it is signed in from now on (called at every log-in)."""
    session[SESSION_BEGAN] = timezone.now().timestamp()


def signed_in_at(session: SessionBase) -> dt.datetime | None:
    """When the session was signed in (:func:`mark_session_begun`); ``None`` when it does not say."""
    began = session.get(SESSION_BEGAN)
    if not isinstance(began, int | float):
        return None
    return dt.datetime.fromtimestamp(began, tz=dt.UTC)


def session_outlived(session: SessionBase) -> bool:
    """Whether a signed-in session has reached its limit; one that does not say when it began (it was
    signed in before the limit was recorded) is treated as having reached it."""
    began = signed_in_at(session)
    return began is None or timezone.now() - began >= session_limit()


def _route(request: HttpRequest) -> tuple[str, str]:
    """The namespace and name of the URL asked for (resolved only for a session past its limit, which is
    rare); empty for a URL that resolves to nothing."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return "", ""
    return match.namespace, match.url_name or ""


class SessionLimitMiddleware:
    """Ends a signed-in session once it is :func:`session_limit` old, counted from the log-in.

    Django's own expiry counts from the session's last change, and any change (a message, a form's
    state) moves it; this limit does not move. The session is ended as a log-off ends it (allauth's
    log-off flow, as ``/account/logout/``: the session is flushed and the log-off journaled, with the
    reason ``session_limit``), and the request goes no further: it is answered with a redirect to the
    log-in page and a message that says why; a request for the log-in page itself goes on, so that a
    log-in sent with the old session logs in. The API answers by bearer token, never by session: a
    request for it goes on (a session sent along is left for the next page to end)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and session is not None and user.is_authenticated and session_outlived(session):
            namespace, name = _route(request)
            if namespace != "api":
                self._log_off(request)
                if name != "account_login":
                    return self._to_log_in(request)
                # The log-in page itself goes on: the person logs in again (told why on the form).
                if request.method in ("GET", "HEAD"):
                    self._tell(request)
        return self.get_response(request)

    @staticmethod
    def _log_off(request: HttpRequest) -> None:
        from allauth.account.internal.flows.logout import logout

        request.logoff_reason = SESSION_LIMIT_REASON  # type: ignore[attr-defined]
        logout(request, show_message=False)

    @staticmethod
    def _tell(request: HttpRequest) -> None:
        hours = int(session_limit().total_seconds() // 3600)
        messages.info(
            request,
            gettext("You were logged off: a session lasts at most %(hours)s hours. Log in again.")
            % {"hours": hours},
        )

    @classmethod
    def _to_log_in(cls, request: HttpRequest) -> HttpResponse:
        cls._tell(request)
        url = reverse("account_login")
        if request.method in ("GET", "HEAD"):
            back = QueryDict(mutable=True)
            back["next"] = request.path  # the path alone, as login_required gives it: no query string
            url += "?" + back.urlencode(safe="/")
        return HttpResponseRedirect(url)


#: How often, at most, a signed-in session's "last seen" (allauth's ``UserSession.last_seen_at``, shown
#: on the open-sessions page) is written while the session keeps the same client: every five minutes.
ACTIVITY_INTERVAL = dt.timedelta(minutes=5)


class SessionActivityMiddleware:
    """allauth's session activity tracking (``USERSESSIONS_TRACK_ACTIVITY``) without a write on every request.

    allauth's own middleware updates the session's ``UserSession`` row (a transaction, a read and a
    write) on every request of a signed-in user. This one reads the row (one indexed query, no
    transaction) and calls the same tracking (``usersessionkit.track_activity``: the row's address,
    browser and last-seen time, and allauth's ``session_client_changed`` signal) only when the row is
    missing, when the client's address or browser differs from the row's, or when the row was last
    written :data:`ACTIVITY_INTERVAL` or longer ago. The session itself is not touched, so its lifetime
    on the server does not move."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        key = session.session_key if session is not None else None
        if user is not None and user.is_authenticated and key and self._stale(request, key):
            usersessionkit.track_activity(request, user=user, session=session)
        return self.get_response(request)

    @staticmethod
    def _stale(request: HttpRequest, session_key: str) -> bool:
        from allauth.account.adapter import get_adapter
        from allauth.usersessions.models import UserSession

        def build(values: Sequence[Any]) -> QuerySet[Any]:
            return (
                UserSession.objects.filter(session_key=values[0])
                .order_by("pk")
                .values_list("ip", "user_agent", "last_seen_at")[:1]
            )

        rows = prepared.values_of(UserSession, "accounts.session_activity", build, [session_key])
        if not rows:
            return True
        ip, agent, seen = rows[0]
        length = UserSession._meta.get_field("user_agent").max_length
        return (
            ip != get_adapter().get_client_ip(request)
            or agent != request.META.get("HTTP_USER_AGENT", "")[:length]
            or not timezone.now() - ACTIVITY_INTERVAL < seen <= timezone.now()
        )
