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


class InstructionForm(forms.ModelForm[ContentAccessInstruction]):
    class Meta:
        model = ContentAccessInstruction
        fields = ["organisation", "given_by", "scope", "valid_from", "valid_until", "channel"]
        labels = {
            "given_by": _("Given by (a contact of the organisation)"),
            "scope": _("What may be looked at, and why"),
        }
        widgets = {
            "valid_from": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "valid_until": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }
