"""The portal's forms: the correction of one's own details, and the other requests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trustdesk.lib.cards import CARD_MESSAGE, contains_card_number
from trustdesk.lib.datamap import model_map
from trustdesk.registry.models import Person

#: Personal fields of a person that are the provider's, not the person's to type: notes and tags staff keep,
#: and the billing system's reference. A correction of those is asked for in words (the details field).
NOT_EDITABLE = ("tags", "notes", "external_ref")


def editable_fields() -> list[str]:
    """The person's own personal fields from the data map, in the model's order."""
    mapping = model_map(Person)
    declared = set(mapping.personal) if mapping else set()
    return [f.name for f in Person._meta.concrete_fields if f.name in declared and f.name not in NOT_EDITABLE]


LABELS = {
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "email": _("E-mail address"),
    "phone": _("Phone"),
    "mobile": _("Mobile phone"),
    "fax": _("Fax"),
    "street": _("Street and number"),
    "postal_code": _("Postal code"),
    "city": _("City"),
    "country": _("Country (two letters, such as BE or NL)"),
    "language": _("Language"),
    "job_title": _("Job title"),
}


class CorrectionForm(forms.ModelForm):
    """Validated as the registry validates a person (card numbers refused); never saved by itself: the
    changes go through a rectification request, so that the old values are kept."""

    class Meta:
        model = Person
        fields = editable_fields()
        labels = LABELS

    def __init__(self, *args: Any, languages: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = {"en": _("English"), "nl": _("Dutch")}
        self.fields["language"] = forms.ChoiceField(
            label=LABELS["language"],
            required=False,
            choices=[("", "—"), *((code, names.get(code, code)) for code in languages)],
        )
        self.initial.setdefault("language", (self.instance.language or "")[:2])
        for name, form_field in self.fields.items():
            form_field.widget.attrs.setdefault("autocomplete", _AUTOCOMPLETE.get(name, "off"))

    def clean_country(self) -> str:
        value: str = (self.cleaned_data.get("country") or "").strip().upper()
        if value and (len(value) != 2 or not value.isalpha()):
            raise forms.ValidationError(_("Give the country as two letters, such as BE or NL."))
        return value

    def changes(self, before: Person) -> dict[str, str]:
        """Field → new value, for the fields whose value differs from the person's on record."""
        return {
            name: str(value)
            for name, value in self.cleaned_data.items()
            if name in editable_fields() and str(value or "") != str(getattr(before, name) or "")
        }


_AUTOCOMPLETE = {
    "first_name": "given-name",
    "last_name": "family-name",
    "email": "email",
    "phone": "tel",
    "mobile": "tel",
    "fax": "tel",
    "street": "street-address",
    "postal_code": "postal-code",
    "city": "address-level2",
    "country": "country",
    "language": "language",
    "job_title": "organization-title",
}


def _no_card(text: str) -> str:
    if contains_card_number(text):
        raise forms.ValidationError(CARD_MESSAGE)
    return text


class DetailsMixin(forms.Form):
    details = forms.CharField(
        label=_("Details (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Anything we should know. Never type a card number."),
    )

    def clean_details(self) -> str:
        return _no_card(self.cleaned_data.get("details", ""))


class ErasureForm(DetailsMixin):
    pass


class RestrictionForm(DetailsMixin):
    details = forms.CharField(
        label=_("Why should we restrict the use of your data?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For example: you contest that the data is correct, or you objected and wait for our decision. "
            "Never type a card number."
        ),
    )


class ObjectionForm(DetailsMixin):
    purposes = forms.MultipleChoiceField(
        label=_("What do you object to?"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["purposes"].choices = choices  # type: ignore[attr-defined]
        self.fields["details"].label = _("Your reasons (optional)")
        self.fields["details"].help_text = _(
            "For a purpose on legitimate interest: the reasons that concern your particular situation. "
            "Never type a card number."
        )


class PortabilityForm(DetailsMixin):
    send_to = forms.EmailField(
        label=_("Send it straight to another party (optional)"),
        required=False,
        max_length=254,
        help_text=_("Their e-mail address. Leave it empty to download the files here."),
    )


class ConsentForm(forms.Form):
    """The same form gives and withdraws: one click either way (P3.4)."""

    purpose = forms.CharField(max_length=63)
    action = forms.ChoiceField(choices=[("give", "give"), ("withdraw", "withdraw")])
