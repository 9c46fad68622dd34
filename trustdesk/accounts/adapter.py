"""django-allauth adapters: lock-out and throttling around log-in; closed sign-up; the TOTP issuer;
allauth's e-mails in the product's words and in the person's language."""

from __future__ import annotations

import smtplib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.http import HttpRequest
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from trustdesk.accounts import lockout, sealing, throttle
from trustdesk.lib import mail
from trustdesk.lib.pseudonyms import pseudonymise

#: allauth's e-mails that Trustdesk words itself (``trustdesk.lib.mail`` templates: a subject and a text per
#: language, in the shared HTML frame). Others allauth can send are off in the settings (notifications,
#: sign-up, log-in codes).
OWN_MAILS = {
    "account/email/email_confirmation": "accounts/email/email_confirmation",
    "account/email/email_confirmation_signup": "accounts/email/email_confirmation",
    "account/email/password_reset_key": "accounts/email/password_reset_key",
    "account/email/unknown_account": "accounts/email/unknown_account",
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
    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        own = OWN_MAILS.get(template_prefix)
        if own is None:
            return super().render_mail(template_prefix, email, context, headers)
        lang = mail_language(context.get("user"))
        subject, text, html = mail.render(own, lang=lang, context={**context, **sender_words()})
        to = [email] if isinstance(email, str) else email
        message = EmailMultiAlternatives(subject, text, self.get_from_email(), to, headers=headers)
        message.attach_alternative(html, "text/html")
        return message

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # allauth sends at once and lets an SMTP error through, whose text quotes the refused address:
        # it would reach the log and the 500 page's traceback. Reported as every e-mail of Trustdesk is.
        try:
            super().send_mail(template_prefix, email, context)
        except (smtplib.SMTPException, OSError) as exc:
            # A link or a notice sent at once: nothing is stored that the person would need to repeat.
            raise mail.not_sent(template_prefix, exc, stored=False) from None

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
