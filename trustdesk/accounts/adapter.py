"""django-allauth adapters: lock-out and throttling around log-in; closed sign-up; the TOTP issuer."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext

from trustdesk.accounts import lockout, throttle
from trustdesk.lib.pseudonyms import pseudonymise


def visitor_ref(request: HttpRequest) -> str:
    """The journal's reference for an anonymous visitor: a keyed pseudonym of their IP address."""
    return "visitor:" + pseudonymise(throttle.client_address(request), kind="ip")


def blocked_message(blocked: lockout.Blocked) -> str:
    when = formats.date_format(timezone.localtime(blocked.until), "DATETIME_FORMAT")
    return gettext(
        "This account is blocked after %(attempts)s failed log-ins. To get back in, wait until "
        "%(when)s and log in again, or choose a new password now with “Forgot your password?”: "
        "the link we e-mail you lifts the block."
    ) % {"attempts": blocked.attempts, "when": when}


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are made by the provider for registry people and staff, never by sign-up.
        return False

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        email = str(credentials.get("email") or "")
        try:
            lockout.rules()
        except lockout.NoPolicyInEffect:
            raise ValidationError(
                gettext("Log-in is closed until the provider has published its privacy policy.")
            ) from None
        try:
            throttle.hit_request(request, "login")
        except throttle.Throttled as exc:
            if email:
                lockout.record_failure(email, actor=visitor_ref(request), reason="throttled")
            raise ValidationError(exc.message()) from None
        if email:
            blocked = lockout.check(email, actor="system")
            if blocked is not None:
                lockout.record_failure(email, actor=visitor_ref(request), reason="blocked")
                raise ValidationError(blocked_message(blocked))

    def authenticate(self, request: HttpRequest, **credentials: Any) -> AbstractBaseUser | None:
        user = super().authenticate(request, **credentials)
        if user is not None and credentials.get("email"):
            lockout.record_success(str(credentials["email"]))
        return user

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        email = str(credentials.get("email") or "")
        if not email:
            return
        blocked = lockout.record_failure(email, actor=visitor_ref(request))
        if blocked is not None:
            raise ValidationError(blocked_message(blocked))


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_issuer(self) -> str:
        from trustdesk.policy.queries import version_in_effect

        version = version_in_effect()
        if version is None:
            return super().get_totp_issuer()
        controller = version.loaded.policy.controller
        return str(controller.trade_name or controller.legal_name)
