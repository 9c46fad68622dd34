"""django-allauth adapters: lock-out and throttling around log-in; closed sign-up; the TOTP issuer;
allauth's e-mails, messages and form errors in the product's words and in the person's language."""

from __future__ import annotations

import logging
import smtplib
from typing import TYPE_CHECKING, Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.http import HttpRequest, HttpResponse
from django.utils import formats, timezone, translation
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trustdesk.accounts import lockout, notices, sealing, throttle
from trustdesk.lib import mail
from trustdesk.lib.browsers import browser_name
from trustdesk.lib.pseudonyms import pseudonymise

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

#: allauth's notices of a change to an account (``ACCOUNT_EMAIL_NOTIFICATIONS``), all told in one message
#: of Trustdesk's (``accounts/email/account_changed``): what changed, in words that follow "On <date> at
#: <time>"; ``{…}`` are filled from allauth's context.
NOTICES: dict[str, _StrPromise] = {
    "account/email/password_changed": _("your password was changed"),
    "account/email/password_set": _("a password was set for your account"),
    "account/email/password_reset": _("your password was reset with a link sent to this address"),
    "account/email/email_changed": _(
        "the e-mail address of your account was changed from {from_email} to {to_email}"
    ),
    "account/email/email_deleted": _("the e-mail address {deleted_email} was removed from your account"),
    "mfa/email/totp_activated": _("two-factor authentication was set up for your account"),
    "mfa/email/totp_deactivated": _("two-factor authentication was removed from your account"),
    "mfa/email/recovery_codes_generated": _(
        "new recovery codes were made for your account: the earlier ones no longer work"
    ),
}

#: allauth's e-mails that Trustdesk words itself (``trustdesk.lib.mail`` templates: a subject and a text per
#: language, in the shared HTML frame). Others allauth can send are off in the settings (sign-up, log-in
#: codes, security keys).
OWN_MAILS = {
    "account/email/email_confirmation": "accounts/email/email_confirmation",
    "account/email/email_confirmation_signup": "accounts/email/email_confirmation",
    "account/email/password_reset_key": "accounts/email/password_reset_key",
    "account/email/unknown_account": "accounts/email/unknown_account",
    **{prefix: "accounts/email/account_changed" for prefix in NOTICES},
}


#: allauth's messages on the next page, in Trustdesk's words ("log in", "log off", "e-mail address", as
#: every page says them); ``{…}`` are filled from allauth's context (``email``; ``name``, the account's
#: address, for a log-in).
MESSAGES: dict[str, _StrPromise] = {
    "account/messages/logged_in.txt": _("You are logged in as {name}."),
    "account/messages/logged_out.txt": _("You are logged off."),
    "account/messages/password_changed.txt": _("Your password is changed."),
    "account/messages/password_set.txt": _("Your password is set."),
    "account/messages/email_confirmation_sent.txt": _(
        "We sent a link to {email}: open it to confirm that the address is yours."
    ),
    "account/messages/email_confirmed.txt": _("The e-mail address {email} is confirmed."),
    "account/messages/email_confirmation_failed.txt": _(
        "The e-mail address {email} cannot be confirmed: another account has it."
    ),
    "account/messages/email_deleted.txt": _("The e-mail address {email} is removed from your account."),
    "account/messages/cannot_delete_primary_email.txt": _(
        "The e-mail address {email} is the one your account uses: make another address the main one first."
    ),
    "account/messages/primary_email_set.txt": _("Your account now uses this e-mail address."),
    "account/messages/unverified_primary_email.txt": _(
        "Confirm the e-mail address first: only a confirmed address can be the one your account uses."
    ),
    "mfa/messages/totp_activated.txt": _(
        "Two-factor authentication is on: logging in now asks for a code from your authenticator app."
    ),
    "mfa/messages/totp_deactivated.txt": _(
        "Two-factor authentication is off: logging in asks for your password alone."
    ),
    "mfa/messages/recovery_codes_generated.txt": _(
        "Your recovery codes are made: keep them somewhere safe. Codes made before them no longer work."
    ),
    "usersessions/messages/sessions_logged_out.txt": _("You are logged off in every other session."),
}

#: allauth's messages of what is off here (log-in codes, telephone numbers, security keys): never shown.
MESSAGES_OFF = frozenset(
    {
        "account/messages/login_code_sent.txt",
        "account/messages/phone_verification_sent.txt",
        "account/messages/phone_verified.txt",
        "mfa/messages/webauthn_added.txt",
        "mfa/messages/webauthn_removed.txt",
    }
)


#: allauth's form errors in Trustdesk's words (``error_messages`` of the adapters). A wrong log-in says
#: neither which of the two was wrong nor whether the address has an account.
ERRORS: dict[str, _StrPromise] = {
    "account_inactive": _("This account is closed: it cannot log in."),
    "cannot_remove_primary_email": _(
        "This is the e-mail address your account uses: make another address the main one first."
    ),
    "duplicate_email": _("This e-mail address is already on your account."),
    "email_password_mismatch": _("The e-mail address or the password is not right."),
    "email_taken": _("Another account uses this e-mail address."),
    "enter_current_password": _("Type your current password."),
    "incorrect_code": _("This code is not right: check it and try again."),
    "incorrect_password": _("This password is not right."),
    "invalid_or_expired_key": _("This link no longer works: it was used already or is too old."),
    "invalid_login": _("Type the e-mail address your account uses."),
    "invalid_password_reset": _("This link for a new password no longer works: ask for a new one."),
    "max_email_addresses": _("Your account cannot have more than %d e-mail addresses."),
    "too_many_login_attempts": _("Too many failed attempts: wait a few minutes and try again."),
    "unknown_email": _("No account uses this e-mail address."),
    "unverified_primary_email": _(
        "Confirm the e-mail address first: only a confirmed address can be the one your account uses."
    ),
    "select_only_one": _("Choose one only."),
    "same_as_current": _("This is the same as the current one."),
    "rate_limited": _("Too many attempts in a short time: wait a few minutes and try again."),
}

#: allauth's form errors of what is off here (user names, telephone numbers): left in allauth's words.
ERRORS_OFF = frozenset(
    {
        "phone_password_mismatch",
        "phone_taken",
        "unknown_phone",
        "username_blacklisted",
        "username_password_mismatch",
        "username_taken",
    }
)

#: The same for allauth's two-factor forms.
MFA_ERRORS: dict[str, _StrPromise] = {
    "add_email_blocked": _(
        "An account with two-factor authentication cannot add an e-mail address here: write to us."
    ),
    "cannot_delete_authenticator": _(
        "Two-factor authentication is required for your account: it cannot be turned off."
    ),
    "cannot_generate_recovery_codes": _(
        "Set up two-factor authentication first: recovery codes come with the authenticator app."
    ),
    "incorrect_code": ERRORS["incorrect_code"],
    "unverified_email": _(
        "Confirm your e-mail address first: two-factor authentication needs a confirmed address."
    ),
}


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


def mail_language(user: Any) -> str:
    """The language of an e-mail to ``user``: a customer's language on record, else the page's language."""
    codes = [code for code, _name in settings.LANGUAGES]
    person = None
    if user is not None:
        try:
            person = user.profile.person
        except ObjectDoesNotExist:
            person = None
    for candidate in (person.language if person else "", translation.get_language() or ""):
        if candidate[:2].lower() in codes:
            return candidate[:2].lower()
    return str(settings.LANGUAGE_CODE)


def sender_words() -> dict[str, str]:
    """Who signs the e-mail: the controller of the policy in effect and its address for privacy questions."""
    from trustdesk.policy.queries import version_in_effect

    version = version_in_effect()
    if version is None:
        return {"controller_name": "", "controller_email": ""}
    policy = version.loaded.policy
    controller = policy.controller
    contact = policy.rights.contact.email if policy.rights.contact else None
    return {
        "controller_name": str(controller.trade_name or controller.legal_name),
        "controller_email": str(contact or controller.email or ""),
    }


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {**DefaultAccountAdapter.error_messages, **ERRORS}

    #: The message ``render_mail`` rendered last (see ``send_mail``).
    _last_rendered: EmailMessage | None = None

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        # allauth's ``send_mail`` renders through here: the message is kept on this adapter (a new one for
        # each ``get_adapter``), so that ``send_mail`` can keep a notice it could not send.
        message = self._render_mail(template_prefix, email, context, headers)
        self._last_rendered = message
        return message

    def _render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None,
    ) -> EmailMessage:
        own = OWN_MAILS.get(template_prefix)
        if own is None:
            return super().render_mail(template_prefix, email, context, headers)
        lang = mail_language(context.get("user"))
        notice = NOTICES.get(template_prefix)
        if notice is not None:
            # Lazy: put into words in the message's language, inside ``mail.render``.
            values = {key: context.get(key, "") for key in ("from_email", "to_email", "deleted_email")}
            context = {
                **context,
                "change": format_lazy(notice, **values),
                "browser": lazy(browser_name, str)(context.get("user_agent")),
            }
        subject, text, html = mail.render(own, lang=lang, context={**context, **sender_words()})
        to = [email] if isinstance(email, str) else email
        message = EmailMultiAlternatives(subject, text, self.get_from_email(), to, headers=headers)
        message.attach_alternative(html, "text/html")
        return message

    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        message_context: dict[str, Any] | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        """allauth's messages in Trustdesk's words (``MESSAGES``); one allauth would show in its own words
        and Trustdesk has none for is logged and left out, never shown as allauth words it."""
        if message is not None or not message_template:
            super().add_message(request, level, message_template, message_context, extra_tags, message)
            return
        words = MESSAGES.get(message_template)
        if words is None:
            if message_template not in MESSAGES_OFF:
                log.warning("allauth's message %s has no words of Trustdesk's: not shown", message_template)
            return
        given = message_context or {}
        values = {"email": str(given.get("email", ""))}
        user = given.get("user")
        values["name"] = str(getattr(user, "email", "") or "") if user is not None else ""
        messages.add_message(
            request, level, str(words).format(**values), extra_tags=extra_tags, fail_silently=True
        )

    def send_notification_mail(
        self,
        template_prefix: str,
        user: AbstractBaseUser,
        context: dict[str, Any] | None = None,
        email: str | None = None,
    ) -> None:
        """A notice of a change to the account, in its owner's language. The change is made by then: a
        notice that cannot be sent is logged (by its kind of failure) and said on the next page, and does
        not undo or hide the change."""
        try:
            super().send_notification_mail(template_prefix, user, {**(context or {}), "user": user}, email)
        except mail.MailNotSent as exc:
            if self.request is not None and hasattr(self.request, "_messages"):
                messages.warning(
                    self.request,
                    gettext(
                        "Done, but the e-mail that tells you of this change could not be sent yet: we try again "
                        "over the next three days."
                    )
                    if exc.kept
                    else gettext("Done, but the e-mail that tells you of this change could not be sent."),
                )

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # allauth sends at once and lets an SMTP error through, whose text quotes the refused address:
        # it would reach the log and the 500 page's traceback. Reported as every e-mail of Trustdesk is.
        # A notice that cannot be sent is kept to send again (``notices``), as the message allauth rendered.
        self._last_rendered = None
        try:
            super().send_mail(template_prefix, email, context)
        except (smtplib.SMTPException, OSError) as exc:
            user = context.get("user")
            message = self._last_rendered
            if template_prefix not in NOTICES or user is None or message is None:
                # A link sent at once: nothing is stored that the person would need to repeat.
                raise mail.not_sent(template_prefix, exc, stored=False) from None
            error = mail.not_sent(template_prefix, exc)  # the change is made
            error.kept = mail.keeping(
                notices.keeper(user, template_prefix), message, mail.failure(exc), template_prefix
            )
            raise error from None

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

    def respond_user_inactive(self, request: HttpRequest, user: AbstractBaseUser) -> HttpResponse:
        # A deactivated account (``trustdesk accounts deactivate``) with its right password: refused, and
        # journaled as a refused attempt (not counted towards a block), so that its log-in history shows it.
        email = str(getattr(user, "email", "") or "")
        if email:
            lockout.record_failure(email, actor=visitor_ref(request), reason="inactive")
        return super().respond_user_inactive(request, user)

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        email = str(credentials.get("email") or "")
        if not email:
            return
        blocked = lockout.record_failure(email, actor=visitor_ref(request))
        if blocked is not None:
            raise ValidationError(blocked_message(blocked))


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {**DefaultMFAAdapter.error_messages, **MFA_ERRORS}

    def can_delete_authenticator(self, authenticator: Any) -> bool:
        """Not where the policy requires two-factor authentication of the account (staff, as a rule): turned
        off, the next page would only send its owner to set it up again."""
        from trustdesk.accounts.middleware import two_factor_requirement

        return two_factor_requirement(authenticator.user) != "required"

    def encrypt(self, text: str) -> str:
        """A TOTP key or a recovery-code seed, sealed before allauth stores it (``sealing``)."""
        return sealing.seal(text)

    def decrypt(self, encrypted_text: str) -> str:
        return sealing.unseal(encrypted_text)

    def get_totp_issuer(self) -> str:
        from trustdesk.policy.queries import version_in_effect

        version = version_in_effect()
        if version is None:
            return super().get_totp_issuer()
        controller = version.loaded.policy.controller
        return str(controller.trade_name or controller.legal_name)
