"""The public request form, for people without an account."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trustdesk.lib.cards import CARD_MESSAGE, contains_card_number
from trustdesk.rights.models import Kind
from trustdesk.rights.services import BadAddress, canonical_addresses

KIND_LABELS = {
    Kind.ACCESS: _("See the data you hold about me (access)"),
    Kind.RECTIFICATION: _("Correct my data (rectification)"),
    Kind.ERASURE: _("Erase my data (erasure)"),
    Kind.RESTRICTION: _("Restrict the processing of my data (restriction)"),
    Kind.PORTABILITY: _("Give me the data I provided, to take elsewhere (portability)"),
    Kind.OBJECTION: _("Stop using my data for direct marketing or on legitimate interest (objection)"),
    Kind.CONSENT_WITHDRAWAL: _("Withdraw my consent"),
}


class PublicRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What do you ask?"), choices=list(KIND_LABELS.items()), widget=forms.RadioSelect
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_(
            "The address we know you by: we send a link there to confirm the request comes from you."
        ),
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("For a correction: what is wrong and what it should be. Never type a card number."),
    )
    ip_addresses = forms.CharField(
        label=_("IP addresses (optional)"),
        required=False,
        max_length=2000,
        help_text=_(
            "For access or erasure of web server logs: the addresses you visited our customers' sites from."
        ),
    )

    def clean_details(self) -> str:
        text: str = self.cleaned_data.get("details", "")
        if contains_card_number(text):
            raise forms.ValidationError(CARD_MESSAGE)
        return text

    def clean_ip_addresses(self) -> list[str]:
        try:
            return canonical_addresses(self.cleaned_data.get("ip_addresses", "").replace(",", " ").split())
        except BadAddress as exc:
            raise forms.ValidationError(
                _("Address %(number)s is not an IP address."), params={"number": exc.number}
            ) from None

    def specifics(self) -> dict[str, Any]:
        addresses = self.cleaned_data.get("ip_addresses") or []
        return {"ip_addresses": addresses} if addresses else {}
