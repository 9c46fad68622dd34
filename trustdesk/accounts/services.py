"""State changes of accounts, each journaled in its own transaction.

``do_create_account`` makes a customer's or staff member's log-in (``do_change_role``, ``do_deactivate_account``
and ``do_reactivate_account`` change it, through ``trustdesk accounts``); ``do_log_off_everywhere`` ends every
session of a user; ``do_end_outlived_sessions`` those past the session limit; ``do_ask_two_factor_removal``
takes a customer's authenticators away when they have lost them (support, after checking it is them), after
a wait in which the owner is told and can keep them (``do_keep_two_factor``, ``do_withdraw_two_factor_removal``,
``do_carry_out_due_removals``); ``do_record_instruction`` and ``do_record_content_access`` keep P0.10: staff look at a
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
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from trustdesk.accounts.middleware import SESSION_LIMIT_REASON, session_outlived
from trustdesk.accounts.models import (
    STAFF_ROLES,
    ContentAccess,
    ContentAccessInstruction,
    Profile,
    TwoFactorRemoval,
)
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
    address = _address(email)
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
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as exc:  # an address too long or malformed: said per field, without the value
            raise AccountError(
                "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
            ) from None
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


def _address(email: str) -> str:
    """The address as stored: trimmed, lower case; AccountError for one no account could have (a control
    character, which PostgreSQL would refuse in a query as NUL)."""
    address = email.strip().lower()
    if any(ord(c) < 32 or ord(c) == 127 for c in address):
        raise AccountError("the e-mail address holds a control character")
    return address


def account_by_email(email: str) -> Any:
    """The account that logs in with this address (its primary address, any case); AccountError without one.
    The message does not repeat the address: it may end up in a log."""
    address = _address(email)
    if not address:
        raise AccountError("no e-mail address given")
    user = get_user_model().objects.filter(email__iexact=address).first()
    if user is None:
        found = EmailAddress.objects.filter(email__iexact=address).select_related("user").first()
        user = found.user if found is not None else None
    if user is None:
        raise AccountError("no account uses this e-mail address")
    return user


def _profile_of(user: Any) -> Profile:
    """The account's profile, locked for the change (two changes at once wait for each other)."""
    profile = Profile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        raise AccountError(
            "this account has no role (no profile): make accounts with 'trustdesk accounts create'"
        )
    return profile


def _keep_an_administrator(user: Any) -> None:
    """Refuse a change that would leave no active administrator: nobody could then reach the admin, and
    only the command line could make one again."""
    others = Profile.objects.filter(role=Profile.Role.ADMINISTRATOR, user__is_active=True).exclude(user=user)
    if not others.exists():
        raise AccountError("this is the last active administrator: make another one first")


ROLE_CHANGED = "accounts.role_changed"
DEACTIVATED = "accounts.deactivated"
REACTIVATED = "accounts.reactivated"


def do_change_role(user: Any, role: str, *, actor: str) -> str:
    """Give a member of staff another staff role (an administrator is also a Django superuser, no one else
    is); journaled as ``accounts.role_changed`` with the role before. Returns the role before. A customer's
    account stays a customer's (it belongs to a registry person): a member of staff gets one of their own."""
    if role not in STAFF_ROLES:
        raise AccountError(f"unknown staff role {role!r}: use one of {', '.join(sorted(STAFF_ROLES))}")
    with transaction.atomic():
        profile = _profile_of(user)
        was = profile.role
        if was not in STAFF_ROLES:
            raise AccountError("a customer's account belongs to a registry person and stays a customer's")
        if was == role:
            raise AccountError(f"the account already has the role {role!r}")
        if was == Profile.Role.ADMINISTRATOR:
            _keep_an_administrator(user)
        profile.role = role
        profile.save(update_fields=["role"])
        user.is_staff = user.is_superuser = role == Profile.Role.ADMINISTRATOR
        user.save(update_fields=["is_staff", "is_superuser"])
        record(
            ROLE_CHANGED,
            actor=actor,
            object_type="auth.user",
            object_id=str(user.pk),
            payload={"role": role, "was": was},
        )
    return was


def _set_active(user: Any, active: bool, *, actor: str, reason: str) -> None:
    """Open (``active``) or close the account to log-in, journaled with the reason; inside a transaction.
    The account's row is read again under a lock: two clicks at once change it and journal it once."""
    reason = reason.strip()
    if not reason:
        raise AccountError(f"say why the account is {'reactivated' if active else 'deactivated'} (--reason)")
    user.is_active = (
        get_user_model().objects.select_for_update().values_list("is_active", flat=True).get(pk=user.pk)
    )
    if user.is_active == active:  # said in the console too (two tabs, a second click): in the reader's words
        raise AccountError(
            gettext("The account can log in already.")
            if active
            else gettext("The account is closed already.")
        )
    if not active and Profile.objects.filter(user=user, role=Profile.Role.ADMINISTRATOR).exists():
        _keep_an_administrator(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    record(
        REACTIVATED if active else DEACTIVATED,
        actor=actor,
        object_type="auth.user",
        object_id=str(user.pk),
        payload={"reason": reason},
    )


def do_deactivate_account(user: Any, *, actor: str, reason: str) -> int:
    """Close the account to log-in (a member of staff who left, a customer contact who no longer works
    there) and end its sessions at once; nothing is deleted: its data stays until erased or due. Journaled
    as ``accounts.deactivated`` with the reason. Returns how many sessions ended."""
    with transaction.atomic():
        _set_active(user, False, actor=actor, reason=reason)
        return do_log_off_everywhere(user, actor=actor)


def do_reactivate_account(user: Any, *, actor: str, reason: str) -> None:
    """Open a deactivated account to log-in again; journaled as ``accounts.reactivated`` with the reason."""
    with transaction.atomic():
        _set_active(user, True, actor=actor, reason=reason)


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
        _tell_owner(user, "accounts/email/two_factor_removed", {"removed_at": timezone.now()})
    return len(found)


TWO_FACTOR_REMOVAL_ASKED = "accounts.two_factor_removal_asked"
TWO_FACTOR_KEPT = "accounts.two_factor_removal_kept"
TWO_FACTOR_REMOVAL_WITHDRAWN = "accounts.two_factor_removal_withdrawn"
TWO_FACTOR_REMOVAL_APPROVED = "accounts.two_factor_removal_approved"


def removal_wait() -> dt.timedelta:
    """How long a removal of two-factor authentication waits (``TRUSTDESK_TWO_FACTOR_REMOVAL_WAIT_HOURS``)."""
    return dt.timedelta(hours=settings.TRUSTDESK_TWO_FACTOR_REMOVAL_WAIT_HOURS)


def second_approval() -> bool:
    """Whether a removal waits for a second member of staff's approval too
    (``TRUSTDESK_TWO_FACTOR_REMOVAL_SECOND_APPROVAL``)."""
    return bool(settings.TRUSTDESK_TWO_FACTOR_REMOVAL_SECOND_APPROVAL)


def awaits_approval(removal: TwoFactorRemoval) -> bool:
    """Whether the removal still waits for a second member of staff's approval."""
    return removal.approved_at is None and second_approval()


def open_removal(user: Any) -> TwoFactorRemoval | None:
    """The account's removal of two-factor authentication that is asked for and not yet ended."""
    return TwoFactorRemoval.objects.filter(user=user, ended_at__isnull=True).first()


def _tell_owner(user: Any, template: str, context: dict[str, Any]) -> None:
    from trustdesk.accounts.adapter import mail_language, sender_words
    from trustdesk.accounts.notices import keeper

    if user.email:
        mail.send(
            template,
            to=user.email,
            lang=mail_language(user),
            context={**sender_words(), **context},
            reference=f"account {user.pk}",
            keep=keeper(user, template),
        )


def do_ask_two_factor_removal(user: Any, *, actor: str, reason: str) -> TwoFactorRemoval | None:
    """Staff's removal of a customer's two-factor authentication (they lost their app and recovery codes),
    with the reason (who asked, how it was checked); ``None`` when the account has none to remove.

    After ``removal_wait()``, and where ``second_approval()`` says so once another member of staff approved it
    (:func:`do_approve_two_factor_removal`), the periodic job removes it (:func:`do_carry_out_due_removals`);
    until then the owner, told at once by e-mail, can keep it (:func:`do_keep_two_factor`), and staff can
    withdraw it. With no wait and no approval to wait for it is removed now. Journaled as
    ``accounts.two_factor_removal_asked`` with the reason and when it is due. A second removal while one is
    open is refused, as is a staff account's."""
    from allauth.mfa.models import Authenticator

    if _is_staff(user):
        raise ValidationError(gettext("A member of staff's two-factor authentication is not removed here."))
    wait = removal_wait()
    try:
        with transaction.atomic():
            if not Authenticator.objects.select_for_update().filter(user=user).exists():
                return None
            now = timezone.now()
            removal = TwoFactorRemoval.objects.create(
                user=user, asked_by=actor, reason=reason, created_at=now, due_at=now + wait
            )
            if not wait and not second_approval():
                _carry_out(removal, ended_by=actor)
                return removal
            record(
                TWO_FACTOR_REMOVAL_ASKED,
                actor=actor,
                object_type="auth.user",
                object_id=str(user.pk),
                payload={"reason": reason, "due_at": removal.due_at.isoformat()},
            )
            _tell_owner(
                user,
                "accounts/email/two_factor_removal_asked",
                {
                    "asked_at": now,
                    "due_at": removal.due_at,
                    "second_approval": second_approval(),
                    "account_url": settings.SITE_URL + reverse("accounts:home"),
                },
            )
    except IntegrityError:  # another removal of this account is open (asked at the same moment)
        removal = None
    else:
        return removal
    raise ValidationError(_already_open(user))


def _already_open(user: Any) -> str:
    found = open_removal(user)
    if found is None:
        return gettext("A removal of this account's two-factor authentication is already asked for.")
    return gettext(
        "A removal of this account's two-factor authentication is already asked for: it is due %(due)s."
    ) % {"due": timezone.localtime(found.due_at).strftime("%Y-%m-%d %H:%M")}


def _carry_out(removal: TwoFactorRemoval, *, ended_by: str) -> None:
    """Remove the authenticators of an open removal and end it (inside the caller's transaction)."""
    try:
        removed = do_remove_two_factor(removal.user, actor=removal.asked_by, reason=removal.reason)
    except ValidationError:  # the account became a member of staff's in the meantime
        removed = 0
    removal.outcome = TwoFactorRemoval.Outcome.REMOVED if removed else TwoFactorRemoval.Outcome.NOTHING
    removal.ended_at = timezone.now()
    removal.ended_by = ended_by
    removal.save(update_fields=["outcome", "ended_at", "ended_by"])


def _end_open(
    user: Any, *, actor: str, outcome: str, action: str, notice: str = ""
) -> TwoFactorRemoval | None:
    with transaction.atomic():
        removal = (
            TwoFactorRemoval.objects.select_for_update().filter(user=user, ended_at__isnull=True).first()
        )
        if removal is None:
            return None
        removal.outcome = outcome
        removal.ended_at = timezone.now()
        removal.ended_by = actor
        removal.save(update_fields=["outcome", "ended_at", "ended_by"])
        record(
            action,
            actor=actor,
            object_type="auth.user",
            object_id=str(user.pk),
            payload={"asked_at": removal.created_at.isoformat()},
        )
        if notice:
            _tell_owner(user, notice, {"asked_at": removal.created_at})
    return removal


def do_keep_two_factor(user: Any) -> TwoFactorRemoval | None:
    """The owner stops the open removal of their two-factor authentication (journaled as
    ``accounts.two_factor_removal_kept``: staff see that someone asked who may not have been the owner);
    ``None`` when there was none."""
    return _end_open(
        user, actor=user_ref(user), outcome=TwoFactorRemoval.Outcome.KEPT, action=TWO_FACTOR_KEPT
    )


def do_withdraw_two_factor_removal(user: Any, *, actor: str) -> TwoFactorRemoval | None:
    """Staff withdraw the open removal (asked in error); the owner is told by e-mail, since they were told it
    would happen. ``None`` when there was none."""
    return _end_open(
        user,
        actor=actor,
        outcome=TwoFactorRemoval.Outcome.WITHDRAWN,
        action=TWO_FACTOR_REMOVAL_WITHDRAWN,
        notice="accounts/email/two_factor_removal_withdrawn",
    )


def do_approve_two_factor_removal(user: Any, *, actor: str) -> TwoFactorRemoval | None:
    """A second member of staff approves the open removal of the account's two-factor authentication, having
    read the reason: journaled as ``accounts.two_factor_removal_approved``. Once due, the periodic job carries
    it out; if it is due already, it is carried out now. Whoever asked for it cannot approve it (a
    ``ValidationError``). ``None`` when no removal is open; an approved one is returned as it is."""
    with transaction.atomic():
        removal = (
            TwoFactorRemoval.objects.select_for_update()
            .select_related("user")
            .filter(user=user, ended_at__isnull=True)
            .first()
        )
        if removal is None or removal.approved_at is not None:
            return removal
        if removal.asked_by == actor:
            raise ValidationError(
                gettext("Another member of staff approves this removal: not the one who asked for it.")
            )
        now = timezone.now()
        removal.approved_by, removal.approved_at = actor, now
        removal.save(update_fields=["approved_by", "approved_at"])
        record(
            TWO_FACTOR_REMOVAL_APPROVED,
            actor=actor,
            object_type="auth.user",
            object_id=str(user.pk),
            payload={"asked_at": removal.created_at.isoformat(), "due_at": removal.due_at.isoformat()},
        )
        if removal.due_at <= now:
            _carry_out(removal, ended_by=actor)
    return removal


def do_carry_out_due_removals(*, actor: str) -> dict[str, int]:
    """Remove two-factor authentication where its removal is due (the periodic job) and, where
    ``second_approval()`` says so, approved; each in its own transaction. An e-mail that cannot be sent is
    counted, not raised: the removal is stored and journaled."""
    counts = {"removed": 0, "nothing_to_remove": 0, "notices_not_sent": 0}
    due = TwoFactorRemoval.objects.filter(ended_at__isnull=True, due_at__lte=timezone.now())
    if second_approval():
        due = due.filter(approved_at__isnull=False)
    for pk in list(due.order_by("due_at").values_list("pk", flat=True)):
        with mail.reporting() as failures, transaction.atomic():
            removal = (
                TwoFactorRemoval.objects.select_for_update()
                .select_related("user")
                .filter(pk=pk, ended_at__isnull=True)
                .first()
            )
            if removal is None:
                continue  # kept or withdrawn since
            _carry_out(removal, ended_by=actor)
        if removal.outcome == TwoFactorRemoval.Outcome.REMOVED:
            counts["removed"] += 1
        else:
            counts["nothing_to_remove"] += 1
        counts["notices_not_sent"] += len(failures)
    return counts


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
