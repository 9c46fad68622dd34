"""State changes of accounts, each journaled in its own transaction.

``do_create_account`` makes a customer's or staff member's log-in; ``do_log_off_everywhere`` ends every
session of a user; ``do_end_outlived_sessions`` those past the session limit; ``do_remove_two_factor``
takes a customer's authenticators away when they have lost them (support, after checking it is them); ``do_record_instruction`` and ``do_record_content_access`` keep P0.10: staff look at a
customer's stored content only under the customer's recorded instruction, and each look is journaled
tied to that instruction.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from typing import Any

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from trustdesk.accounts.middleware import SESSION_LIMIT_REASON, session_outlived
from trustdesk.accounts.models import STAFF_ROLES, ContentAccess, ContentAccessInstruction, Profile
from trustdesk.accounts.sessions import decoded
from trustdesk.journal.services import record
from trustdesk.lib import mail
from trustdesk.registry.models import Organisation, Person, Role


class AccountError(Exception):
    """A change to an account that cannot be made; the message says why."""


class NoValidInstruction(AccountError):
    """Staff asked to look at a customer's content without a valid instruction from that customer."""


def user_ref(user: Any) -> str:
    return f"user:{user.pk}"


def do_create_account(
    email: str,
    *,
    role: str,
    person: Person | None = None,
    password: str | None = None,
    verified: bool = False,
    actor: str,
) -> Any:
    """Create a user with a profile and a primary e-mail address (verified or not) and return it.

    A customer's account belongs to a registry person with at least one role in an organisation; a staff
    account to no person. Without a password the user sets one through a reset link.
    """
    if role not in Profile.Role.values:
        raise AccountError(f"unknown role {role!r}: use one of {', '.join(Profile.Role.values)}")
    if role == Profile.Role.CUSTOMER:
        if person is None:
            raise AccountError("a customer's account belongs to a registry person")
        if Profile.objects.filter(person=person).exists():
            raise AccountError(f"{person} already has an account")
    elif person is not None:
        raise AccountError("a staff account belongs to no registry person")
    address = email.strip().lower()
    user_model = get_user_model()
    with transaction.atomic():
        if (
            EmailAddress.objects.filter(email__iexact=address).exists()
            or user_model.objects.filter(email__iexact=address).exists()
        ):
            raise AccountError("another account already uses this e-mail address")
        user = user_model(username=address, email=address, is_staff=role == Profile.Role.ADMINISTRATOR)
        user.is_superuser = role == Profile.Role.ADMINISTRATOR
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        EmailAddress.objects.create(user=user, email=address, primary=True, verified=verified)
        profile = Profile(user=user, person=person, role=role)
        profile.full_clean(exclude=["user"])
        profile.save()
        record(
            "accounts.created",
            actor=actor,
            object_type="auth.user",
            object_id=str(user.pk),
            payload={"role": role, "person": person.pk if person else None, "verified": verified},
        )
    return user


def do_log_off_everywhere(user: Any, *, actor: str) -> int:
    """End every session of the user (this one included); returns how many ended."""
    with transaction.atomic():
        ended = 0
        for user_session in UserSession.objects.filter(user=user):
            user_session.end()
            ended += 1
        # Sessions from before session tracking, or not tracked: found by the user id they carry.
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            if str(decoded(session).get("_auth_user_id")) == str(user.pk):
                session.delete()
                ended += 1
        record(
            "accounts.sessions_ended",
            actor=actor,
            object_type="auth.user",
            object_id=str(user.pk),
            payload={"sessions": ended},
        )
    return ended


TWO_FACTOR_REMOVED = "accounts.two_factor_removed"


def do_remove_two_factor(user: Any, *, actor: str, reason: str) -> int:
    """Delete every authenticator of a customer's account (the app's key and the recovery codes), for a
    customer who lost them; returns how many were deleted (0: none, and nothing is journaled or sent).

    Journaled as ``accounts.two_factor_removed`` with the reason (who asked, how it was checked) and the
    account's owner is told by e-mail at its address, in their language, so that a removal they did not
    ask for does not go unnoticed. The key's sealed value is deleted without being opened: this is also the
    way back in when no key opens it any more. Staff accounts are not customers' and are refused."""
    from allauth.mfa.models import Authenticator

    from trustdesk.accounts.adapter import mail_language, sender_words

    if _is_staff(user):
        raise ValidationError(gettext("A member of staff's two-factor authentication is not removed here."))
    with transaction.atomic():
        found = list(Authenticator.objects.select_for_update().filter(user=user).values_list("pk", flat=True))
        if not found:
            return 0
        Authenticator.objects.filter(pk__in=found).delete()
        record(
            TWO_FACTOR_REMOVED,
            actor=actor,
            object_type="auth.user",
            object_id=str(user.pk),
            payload={"reason": reason, "authenticators": len(found)},
        )
        if user.email:
            mail.send(
                "accounts/email/two_factor_removed",
                to=user.email,
                lang=mail_language(user),
                context={**sender_words(), "removed_at": timezone.now()},
                reference=f"account {user.pk}",
            )
    return len(found)


def do_end_outlived_sessions(user: Any) -> int:
    """End the user's signed-in sessions that have reached the session limit and made no request since
    (``SessionLimitMiddleware`` ends one at its next request), each journaled as a log-off with the
    reason; returns how many ended. Sessions already gone or expired are left to allauth's purge."""
    engine = import_module(settings.SESSION_ENGINE)
    ended = 0
    with transaction.atomic():
        for user_session in UserSession.objects.filter(user=user):
            store = engine.SessionStore(user_session.session_key)
            if store.get("_auth_user_id") is None or not session_outlived(store):
                continue
            user_session.end()
            record(
                "accounts.logged_out",
                actor="system",
                object_type="auth.user",
                object_id=str(user.pk),
                payload={"reason": SESSION_LIMIT_REASON},
            )
            ended += 1
    return ended


def _is_staff(user: Any) -> bool:
    try:
        return bool(user.profile.role in STAFF_ROLES)
    except Profile.DoesNotExist:
        return False


def do_record_instruction(
    *,
    organisation: Organisation,
    given_by: Person,
    scope: str,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    channel: str,
    recorded_by: Any,
) -> ContentAccessInstruction:
    """Record a customer's instruction to look at their content; the giver must be the organisation's."""
    if not _is_staff(recorded_by):
        raise AccountError(gettext("only staff record a customer's instruction"))
    today = timezone.localdate()
    gives = Role.objects.filter(organisation=organisation, person=given_by, kind__in=["owner", "technical"])
    gives = gives.exclude(until__lt=today)
    if not gives.exists():
        raise AccountError(
            gettext(
                "an instruction to look at content is given by an owner or technical contact of the organisation"
            )
        )
    instruction = ContentAccessInstruction(
        organisation=organisation,
        given_by=given_by,
        scope=scope.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        channel=channel,
        recorded_by=recorded_by,
    )
    try:
        instruction.full_clean()
    except ValidationError as exc:
        raise AccountError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
    with transaction.atomic():
        instruction.save()
        record(
            "accounts.content_instruction.recorded",
            actor=user_ref(recorded_by),
            object_type="accounts.contentaccessinstruction",
            object_id=str(instruction.pk),
            payload={
                "organisation": organisation.pk,
                "given_by": given_by.pk,
                "channel": channel,
                "valid_from": valid_from.isoformat(),
                "valid_until": valid_until.isoformat(),
                "scope": instruction.scope,
            },
        )
    return instruction


def do_revoke_instruction(instruction: ContentAccessInstruction, *, actor: Any) -> None:
    with transaction.atomic():
        locked = ContentAccessInstruction.objects.select_for_update().get(pk=instruction.pk)
        if locked.revoked_at is not None:
            return
        locked.revoked_at = instruction.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        record(
            "accounts.content_instruction.revoked",
            actor=user_ref(actor),
            object_type="accounts.contentaccessinstruction",
            object_id=str(locked.pk),
        )


def valid_instructions(organisation: Organisation, at: dt.datetime | None = None) -> Any:
    moment = at or timezone.now()
    return ContentAccessInstruction.objects.filter(
        organisation=organisation, valid_from__lte=moment, valid_until__gt=moment, revoked_at__isnull=True
    )


def do_record_content_access(
    instruction: ContentAccessInstruction | None, *, actor: Any, what: str
) -> ContentAccess:
    """Record one look at a customer's content; refused without a valid instruction.

    The instruction must exist, not be revoked, and be valid now; the actor must be staff. The access
    and its journal entry (``accounts.content_accessed``, tied to the instruction) are written together.
    """
    if not _is_staff(actor):
        raise NoValidInstruction(
            gettext("only staff look at a customer's content, under the customer's instruction")
        )
    if instruction is None:
        raise NoValidInstruction(gettext("no instruction from the customer: their content stays closed"))
    if not what.strip():
        raise AccountError(gettext("say what is looked at"))
    with transaction.atomic():
        current = ContentAccessInstruction.objects.select_for_update().filter(pk=instruction.pk).first()
        now = timezone.now()
        if current is None:
            raise NoValidInstruction(gettext("the instruction does not exist"))
        if current.revoked_at is not None:
            raise NoValidInstruction(gettext("instruction %(number)s was revoked") % {"number": current.pk})
        if not (current.valid_from <= now < current.valid_until):
            raise NoValidInstruction(
                gettext("instruction %(number)s is not valid now") % {"number": current.pk}
            )
        entry = record(
            "accounts.content_accessed",
            actor=user_ref(actor),
            object_type="accounts.contentaccessinstruction",
            object_id=str(current.pk),
            payload={"organisation": current.organisation_id, "what": what.strip()},
        )
        return ContentAccess.objects.create(
            instruction=current, actor=actor, what=what.strip(), journal_seq=entry.seq
        )
