"""Lock-out after the policy's number of failed log-ins, for the policy's duration (P3.15).

Failures are counted per e-mail address (by its keyed pseudonym), whether an account has the address
or not, so that the answers never reveal which addresses have accounts. The count is of consecutive
failures: a successful log-in, a password reset or the end of a block starts it again. Every failed
log-in, every block and every unblock is journaled (``accounts.login_failed``, ``accounts.locked``,
``accounts.unlocked``) with references only: the user's id or the address's pseudonym, never the
address or the password tried.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from trustdesk.accounts.models import LoginLock
from trustdesk.journal.services import record
from trustdesk.lib.durations import Duration
from trustdesk.lib.pseudonyms import pseudonymise
from trustdesk.policy.queries import version_in_effect

LOGIN_FAILED = "accounts.login_failed"
LOCKED = "accounts.locked"
UNLOCKED = "accounts.unlocked"
FAILURES_RESET = "accounts.failures_reset"  # by staff, with no block in force


class NoPolicyInEffect(Exception):
    """Log-in needs the lock-out rules of a published policy."""

    def __init__(self) -> None:
        super().__init__(
            "no policy is in effect, so log-in has no lock-out rules: publish one with "
            "`trustdesk policy publish`"
        )


@dataclass(frozen=True)
class Rules:
    attempts: int
    duration: Duration


def rules() -> Rules:
    """The lock-out rules of the policy in effect today."""
    version = version_in_effect()
    if version is None:
        raise NoPolicyInEffect()
    lockout = version.loaded.policy.security.lockout
    return Rules(lockout.attempts, lockout.duration)


def address_key(email: str) -> str:
    return pseudonymise(email, kind="email")


def _user_for(email: str) -> Any:
    from allauth.account.models import EmailAddress

    address = EmailAddress.objects.filter(email__iexact=email.strip()).select_related("user").first()
    if address is not None:
        return address.user
    return get_user_model().objects.filter(email__iexact=email.strip()).first()


def _subject(lock: LoginLock) -> tuple[str, str]:
    if lock.user_id is not None:
        return "auth.user", str(lock.user_id)
    return "accounts.address", lock.key


@dataclass(frozen=True)
class Blocked:
    """The address is blocked until ``until``; after ``attempts`` failures."""

    until: dt.datetime
    attempts: int


def check(email: str, *, actor: str) -> Blocked | None:
    """Whether log-in with this address is blocked now; a block that ran out is lifted (and journaled)."""
    key = address_key(email)
    with transaction.atomic():
        lock = LoginLock.objects.select_for_update().filter(key=key).first()
        if lock is None or lock.locked_until is None:
            return None
        if lock.locked_until > timezone.now():
            return Blocked(lock.locked_until, lock.failures)
        _unlock(lock, actor=actor, reason="expired")
    return None


def record_failure(email: str, *, actor: str, reason: str = "wrong_password") -> Blocked | None:
    """Count a failed log-in; block the address when the policy's number is reached.

    ``reason`` is ``wrong_password`` (a counted failure) or ``blocked`` / ``throttled`` / ``inactive`` (a
    refused attempt, journaled but not counted). Returns the block when one is in force.
    """
    current = rules()
    key = address_key(email)
    now = timezone.now()
    with transaction.atomic():
        lock, _ = LoginLock.objects.select_for_update().get_or_create(key=key)
        user = _user_for(email)
        if user is not None and lock.user_id != user.pk:
            lock.user = user
        counted = reason == "wrong_password" and not (lock.locked_until and lock.locked_until > now)
        if counted:
            lock.failures += 1
            lock.last_failure_at = now
        lock.save()
        object_type, object_id = _subject(lock)
        record(
            LOGIN_FAILED,
            actor=actor,
            object_type=object_type,
            object_id=object_id,
            payload={"reason": reason, "failures": lock.failures},
        )
        if counted and lock.failures >= current.attempts:
            until = current.duration.add_to(now)
            if not isinstance(until, dt.datetime):  # add_to keeps the type it is given
                raise TypeError("a lock-out ends at a moment, not a day")
            lock.locked_at = now
            lock.locked_until = until
            lock.save(update_fields=["locked_at", "locked_until"])
            record(
                LOCKED,
                actor="system",
                object_type=object_type,
                object_id=object_id,
                payload={
                    "attempts": lock.failures,
                    "until": until.isoformat(),
                    "policy_attempts": current.attempts,
                    "policy_duration": current.duration.iso(),
                },
            )
        if lock.locked_until and lock.locked_until > now:
            return Blocked(lock.locked_until, lock.failures)
    return None


def record_success(email: str) -> None:
    """A correct password: the count of consecutive failures starts again."""
    LoginLock.objects.filter(key=address_key(email), locked_until__isnull=True).update(
        failures=0, last_failure_at=None
    )


def unlock_user(user: Any, *, actor: str, reason: str, journal_reset: bool = False) -> bool:
    """Lift every block and failure count of the user's addresses; True when one was lifted.

    A lifted block is journaled (``accounts.unlocked``); a count of failures set back with no block in force
    is journaled too (``accounts.failures_reset``) when ``journal_reset`` says so: a member of staff did it."""
    from allauth.account.models import EmailAddress

    emails = {user.email, *EmailAddress.objects.filter(user=user).values_list("email", flat=True)}
    keys = {address_key(e) for e in emails if e}
    lifted = False
    with transaction.atomic():
        for lock in LoginLock.objects.select_for_update().filter(key__in=keys):
            if lock.user_id is None:
                lock.user = user
            if lock.failures or lock.locked_until:
                _unlock(lock, actor=actor, reason=reason, journal_reset=journal_reset)
                lifted = True
    return lifted


def _unlock(lock: LoginLock, *, actor: str, reason: str, journal_reset: bool = False) -> None:
    was_locked = lock.locked_until is not None
    failures = lock.failures
    lock.failures = 0
    lock.last_failure_at = None
    lock.locked_at = None
    lock.locked_until = None
    lock.save()
    object_type, object_id = _subject(lock)
    if was_locked:
        record(
            UNLOCKED, actor=actor, object_type=object_type, object_id=object_id, payload={"reason": reason}
        )
    elif journal_reset:
        record(
            FAILURES_RESET,
            actor=actor,
            object_type=object_type,
            object_id=object_id,
            payload={"reason": reason, "failures": failures},
        )
