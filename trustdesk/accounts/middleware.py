"""Two-factor rules of the policy in effect: required for staff (and customers when the policy says so),
unavailable to customers when it says so; and the tracking of signed-in sessions' activity.

A user who must have an authenticator app and has none is sent to set one up before anything else;
only the two-factor pages themselves, log-off and static files stay open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from allauth.usersessions.internal import usersessionkit
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
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
