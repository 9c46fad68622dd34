"""Journal entries for log-in, log-off, password resets and two-factor changes; a reset lifts a lock-out; every log-in records
in the session when it began (the session's absolute limit counts from it)."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_reset, user_logged_in
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.contrib.auth.signals import user_logged_in as session_signed_in
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format

from trustdesk.accounts import lockout
from trustdesk.accounts.middleware import mark_session_begun
from trustdesk.journal.services import record

LOGGED_IN = "accounts.logged_in"
LOGGED_OUT = "accounts.logged_out"
PASSWORD_RESET = "accounts.password_reset"  # noqa: S105  (a journal action)
AUTHENTICATOR_ADDED = "accounts.authenticator_added"
AUTHENTICATOR_REMOVED = "accounts.authenticator_removed"
AUTHENTICATOR_RESET = "accounts.authenticator_reset"


def _client(request: HttpRequest | None) -> dict[str, str]:
    if request is None:
        return {}
    from trustdesk.accounts.throttle import client_address

    # The payload can be erased; the core holds only the user's id.
    return {"ip": client_address(request), "user_agent": str(request.META.get("HTTP_USER_AGENT", ""))[:300]}


def _journal_session(action: str, request: HttpRequest | None, user: Any) -> None:
    payload = _client(request)
    reason = getattr(request, "logoff_reason", "") if request is not None else ""
    if reason:
        payload["reason"] = reason
    with transaction.atomic():
        record(
            action,
            actor="system" if reason else f"user:{user.pk}",
            object_type="auth.user",
            object_id=str(user.pk),
            payload=payload,
        )


@receiver(session_signed_in)
def on_session_signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Django's log-in signal, which every log-in sends (allauth's, the admin's, a test client's)."""
    if request is not None and hasattr(request, "session"):
        mark_session_begun(request.session)


@receiver(user_logged_in)
def on_logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    _journal_session(LOGGED_IN, request, user)
    _warn_of_removal(request, user)


def _warn_of_removal(request: HttpRequest, user: Any) -> None:
    """An owner who logs in while staff's removal of their two-factor authentication waits is told at once,
    whatever page they go to: it may not have been them who asked."""
    from django.contrib import messages
    from django.utils.translation import gettext

    from trustdesk.accounts.services import awaits_approval, open_removal

    removal = open_removal(user)
    if removal is None:
        return
    warning = gettext(
        "Our staff were asked to remove your two-factor authentication: it is removed on %(due)s. If you did "
        "not ask for this, keep it on your account page."
    ) % {"due": date_format(timezone.localtime(removal.due_at), "DATETIME_FORMAT")}
    if awaits_approval(removal):
        warning += " " + gettext("A second member of our staff checks the request first, so it may be later.")
    messages.warning(request, warning, fail_silently=True)


@receiver(user_logged_out)
def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        _journal_session(LOGGED_OUT, request, user)


@receiver(password_reset)
def on_password_reset(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        record(PASSWORD_RESET, actor=f"user:{user.pk}", object_type="auth.user", object_id=str(user.pk))
        lockout.unlock_user(user, actor=f"user:{user.pk}", reason="password_reset")


def _journal_authenticator(action: str, request: HttpRequest | None, user: Any, authenticator: Any) -> None:
    """An authenticator the account's owner added, removed or renewed (``kind``: ``totp`` for the
    authenticator app, ``recovery_codes``), with where it was done from; never its secret."""
    with transaction.atomic():
        record(
            action,
            actor=f"user:{user.pk}",
            object_type="auth.user",
            object_id=str(user.pk),
            payload={"kind": str(authenticator.type), **_client(request)},
        )


@receiver(authenticator_added)
def on_authenticator_added(
    sender: Any, request: HttpRequest | None, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    _journal_authenticator(AUTHENTICATOR_ADDED, request, user, authenticator)


@receiver(authenticator_removed)
def on_authenticator_removed(
    sender: Any, request: HttpRequest | None, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    _journal_authenticator(AUTHENTICATOR_REMOVED, request, user, authenticator)


@receiver(authenticator_reset)
def on_authenticator_reset(
    sender: Any, request: HttpRequest | None, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    _journal_authenticator(AUTHENTICATOR_RESET, request, user, authenticator)
