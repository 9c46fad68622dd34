"""Forms: allauth's password reset with per-address throttling; recording a content-access instruction."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.core import context
from django import forms
from django.utils.translation import gettext_lazy as _

from trustdesk.accounts import throttle
from trustdesk.accounts.models import ContentAccessInstruction


class ResetPasswordForm(AllauthResetPasswordForm):
    """Requests for a reset link are throttled per client address and per e-mail address."""

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
