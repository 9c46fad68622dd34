"""Two-factor rules of the policy in effect: required for staff (and customers when the policy says so),
unavailable to customers when it says so.

A user who must have an authenticator app and has none is sent to set one up before anything else;
only the two-factor pages themselves, log-off and static files stay open.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext

from trustdesk.accounts.access import role_of, user_has_two_factor
from trustdesk.accounts.models import Profile

#: URL names a user without a required authenticator may still reach.
_SETUP_NAMES = {"account_logout", "account_reauthenticate", "account_login"}


def two_factor_rules() -> tuple[str, str] | None:
    """(staff, customers) from the policy in effect, or None when none is."""
    from trustdesk.policy.queries import version_in_effect

    version = version_in_effect()
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


def two_factor_requirement(user: object) -> str | None:
    """'required', 'optional' or 'unavailable' for this user under the policy in effect."""
    kind = audience(user)
    rules = two_factor_rules()
    if kind is None or rules is None:
        return None
    return rules[0] if kind == "staff" else rules[1]


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            answer = self._enforce(request)
            if answer is not None:
                return answer
        return self.get_response(request)

    def _enforce(self, request: HttpRequest) -> HttpResponse | None:
        try:
            name = resolve(request.path_info).url_name or ""
        except Resolver404:
            return None
        requirement = two_factor_requirement(request.user)
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
