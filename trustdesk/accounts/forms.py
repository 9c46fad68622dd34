"""Forms: allauth's password reset with per-address throttling; allauth's two-factor code forms, which say
what to do when a stored secret cannot be opened and show no placeholder beside their label; recording a
content-access instruction."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from allauth.account.forms import ChangePasswordForm as AllauthChangePasswordForm
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ReauthenticateForm as AllauthPasswordReauthenticateForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.account.forms import ResetPasswordKeyForm as AllauthResetPasswordKeyForm
from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm as AllauthAuthenticateForm
from allauth.mfa.base.forms import ReauthenticateForm as AllauthReauthenticateForm
from allauth.mfa.totp.forms import ActivateTOTPForm as AllauthActivateTOTPForm
from django import forms
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trustdesk.accounts import throttle
from trustdesk.accounts.models import ContentAccessInstruction
from trustdesk.accounts.sealing import SealError

log = logging.getLogger(__name__)


class _CodeField:
    """allauth's code field without its placeholder: the field has its label, and the placeholder repeats it
    inside the box ("Code"), where it reads as a value already typed. A recovery code may have letters: no
    capitals, no spelling correction."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        attrs = self.fields["code"].widget.attrs
        attrs.pop("placeholder", None)
        attrs.update({"autocapitalize": "none", "spellcheck": "false"})


class _SealedSecretCode(_CodeField):
    """A code checked against a two-factor secret that no key opens (the secret key was changed without
    keeping the old one) is an error on the form that says how to get back in, not a server error."""

    user: Any

    def clean_code(self) -> str:
        try:
            return str(super().clean_code())  # type: ignore[misc]
        except SealError as exc:
            log.error("two-factor code of user %s cannot be checked: %s", self.user.pk, exc)
            raise forms.ValidationError(
                gettext(
                    "Your code cannot be checked at the moment: the fault is ours. Write to us: once we have "
                    "checked that it is you, we remove two-factor authentication from your account and you "
                    "log in with your password alone."
                )
            ) from None


class AuthenticateForm(_SealedSecretCode, AllauthAuthenticateForm):
    """``MFA_FORMS["authenticate"]``: the code asked after the password."""


class ReauthenticateForm(_SealedSecretCode, AllauthReauthenticateForm):
    """``MFA_FORMS["reauthenticate"]``: the code asked again before a sensitive change."""


class ActivateTOTPForm(_CodeField, AllauthActivateTOTPForm):
    """``MFA_FORMS["activate_totp"]``: the first code of a new authenticator app."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("Code from the app")


#: allauth's field labels in the words of the rest of the pages ("E-mail address", sentence case).
LABELS = {
    "login": _("E-mail address"),
    "email": _("E-mail address"),
    "oldpassword": _("Current password"),
    "password1": _("New password"),
    "password2": _("New password again"),
}


class _Labelled:
    """allauth's fields under Trustdesk's labels (``LABELS``), without placeholders that repeat them."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name in LABELS:
                field.label = LABELS[name]
            field.widget.attrs.pop("placeholder", None)


class LoginForm(_Labelled, AllauthLoginForm):
    """``ACCOUNT_FORMS["login"]``."""


class ResetPasswordKeyForm(_Labelled, AllauthResetPasswordKeyForm):
    """``ACCOUNT_FORMS["reset_password_from_key"]``: the new password chosen with a reset link."""


class ChangePasswordForm(_Labelled, AllauthChangePasswordForm):
    """``ACCOUNT_FORMS["change_password"]``."""


class AddEmailForm(_Labelled, AllauthAddEmailForm):
    """``ACCOUNT_FORMS["add_email"]``."""


class PasswordReauthenticateForm(_Labelled, AllauthPasswordReauthenticateForm):
    """``ACCOUNT_FORMS["reauthenticate"]``: "Confirm that it is you" by the password."""


def may_receive_reset_link(user: Any, email: str) -> bool:
    """Whether a reset link for ``user`` may go to ``email``: a confirmed address of the account, or the one it
    logs in with (an account the provider made without a password sets one from there). Never an address
    added and not yet confirmed, which whoever held a session left open could have added."""
    from allauth.account.models import EmailAddress

    rows = EmailAddress.objects.filter(user=user, email__iexact=email)
    if not rows.exists():
        return str(getattr(user, "email", "") or "").lower() == email.lower()
    return rows.filter(Q(verified=True) | Q(primary=True)).exists()


class ResetPasswordForm(_Labelled, AllauthResetPasswordForm):
    """Requests for a reset link are throttled per client address and per e-mail address; the link goes only to
    an address that may receive it (``may_receive_reset_link``). To another, as to an address no account has,
    goes the message that no account uses it, so that the answer tells nobody which addresses are known."""

    users: list[Any]

    def clean_email(self) -> str:
        email = super().clean_email()
        self.users = [user for user in self.users if may_receive_reset_link(user, email)]
        return email

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        email = cleaned.get("email")
        if self.errors or not email:
            return cleaned
        try:
            throttle.hit_request(context.request, "password_reset")
            throttle.hit("password_reset", str(email), kind="email")
        except throttle.Throttled as exc:
            raise forms.ValidationError(exc.message()) from None
        return cleaned


class InstructionForm(forms.Form):
    """A customer's instruction as staff record it: which organisation, who gave it, what and until when."""

    organisation = forms.IntegerField(label=_("Organisation number"), min_value=1)
    given_by = forms.EmailField(label=_("E-mail address of the contact who gave it"))
    scope = forms.CharField(
        label=_("What may be looked at, and why"), widget=forms.Textarea(attrs={"rows": 3})
    )
    valid_from = forms.DateTimeField(
        label=_("Valid from"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    valid_until = forms.DateTimeField(
        label=_("Valid until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=ContentAccessInstruction.Channel.choices)


class AccessForm(forms.Form):
    what = forms.CharField(
        label=_("What you are about to look at"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
