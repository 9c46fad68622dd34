"""The console's forms: queue filters, the decisions on a request, staff entry and search."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trustdesk.console import labels
from trustdesk.lib.cards import CARD_MESSAGE, contains_card_number
from trustdesk.rights.models import IdentityMethod, Kind, Objection, Restriction, Status
from trustdesk.rights.services import BadAddress, canonical_addresses
from trustdesk.weblogs.addresses import parse_address

REASONS = forms.Textarea(attrs={"rows": 3})

#: The largest original (a scanned letter, an e-mail) staff can attach.
ORIGINAL_MAX_BYTES = 20 * 2**20


def _no_card(text: str) -> str:
    if contains_card_number(text):
        raise forms.ValidationError(CARD_MESSAGE)
    return text


def _status_choices() -> list[tuple[str, Any]]:
    return [("", _("every status")), *((value, badge.label) for value, badge in labels.STATUS.items())]


def _kind_choices() -> list[tuple[str, Any]]:
    return [("", _("every kind")), *labels.KIND.items()]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_status_choices)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_kind_choices)
    closed = forms.BooleanField(label=_("Closed requests too"), required=False)
    unsent = forms.BooleanField(label=_("Only those with an e-mail not sent"), required=False)


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=REASONS, help_text=_("Optional.")
    )

    def clean_note(self) -> str:
        return _no_card(self.cleaned_data.get("note", ""))


def _account_reason(label: Any, help_text: Any) -> forms.CharField:
    """The required reason of a staff action on a customer's account: the record of who asked and how it was
    checked."""
    return forms.CharField(label=label, max_length=500, widget=REASONS, help_text=help_text)


class UnlockForm(forms.Form):
    """Why a customer's log-in block is lifted before its time: the record of who asked and how it was
    checked."""

    reason = _account_reason(
        _("Why the block is lifted"),
        _("Who asked, and how you checked it was the account's owner: the note is the record of it."),
    )

    def clean_reason(self) -> str:
        return _no_card(self.cleaned_data.get("reason", ""))


class RemoveTwoFactorForm(UnlockForm):
    """Why a customer's two-factor authentication is removed: they lost their app and recovery codes."""

    reason = _account_reason(
        _("Why two-factor authentication is removed"),
        _(
            "Who asked, and how you checked it was the account's owner: the note is the record of it, and "
            "the owner is told by e-mail."
        ),
    )


class AccountAccessForm(UnlockForm):
    """Why a customer's account is closed to log-in (someone who left the customer, an account misused) or
    opened again."""

    reason = _account_reason(
        _("Why"),
        _("Who asked, and how you checked it: the note is journaled with the change."),
    )


class HandledForm(NoteForm):
    """The same note, required: it is the record that the person was told."""

    note = forms.CharField(
        label=_("How the person was told"),
        max_length=2000,
        widget=REASONS,
        help_text=_("By phone, by letter, through another address: the note is the record of it."),
    )


class VerifyForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How identity was established"),
        widget=forms.RadioSelect,
        choices=[
            (IdentityMethod.ID_DOCUMENT, labels.IDENTITY[IdentityMethod.ID_DOCUMENT]),
            (IdentityMethod.STAFF, labels.IDENTITY[IdentityMethod.STAFF]),
        ],
    )
    note = forms.CharField(
        label=_("What was checked"),
        required=False,
        max_length=300,
        help_text=_("For example: the name and photo of a passport matched. Never the document's number."),
    )

    def clean_note(self) -> str:
        return _no_card(self.cleaned_data.get("note", ""))


class ExtendForm(forms.Form):
    by = forms.ChoiceField(
        label=_("Extend by"),
        choices=[("P1M", _("one month")), ("P2M", _("two months"))],
        initial="P2M",
        help_text=_("At most what the policy in effect allows."),
    )
    reason = forms.CharField(
        label=_("Reasons"),
        max_length=2000,
        widget=REASONS,
        help_text=_("The person is told them (Art. 12(3))."),
    )

    def clean_reason(self) -> str:
        return _no_card(self.cleaned_data.get("reason", ""))


class RefuseForm(forms.Form):
    ground = forms.ChoiceField(label=_("Ground"), choices=list(labels.GROUND.items()))
    reasons = forms.CharField(
        label=_("Reasons"),
        max_length=5000,
        widget=REASONS,
        help_text=_("The person is told them, and of their right to complain (Art. 12(4))."),
    )

    def clean_reasons(self) -> str:
        return _no_card(self.cleaned_data.get("reasons", ""))


class EmptyForm(forms.Form):
    """A button: fulfil, confirm an erasure."""


class ObjectionForm(forms.Form):
    objection = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            ("upheld", labels.DECISION[Objection.Decision.UPHELD].label),
            ("rejected", labels.DECISION[Objection.Decision.REJECTED].label),
        ],
    )
    reasons = forms.CharField(label=_("Reasons"), max_length=5000, widget=REASONS)

    def clean_reasons(self) -> str:
        return _no_card(self.cleaned_data.get("reasons", ""))


class AnnounceLiftForm(forms.Form):
    restriction = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why the restriction will be lifted"),
        max_length=2000,
        widget=REASONS,
        help_text=_("The person is told before it is lifted (Art. 18(3))."),
    )

    def clean_reason(self) -> str:
        return _no_card(self.cleaned_data.get("reason", ""))


class LiftForm(forms.Form):
    restriction = forms.IntegerField(widget=forms.HiddenInput)


def restriction_of(form: forms.Form, person_id: int | None) -> Restriction | None:
    """The restriction named by the form, when it belongs to the request's person."""
    if person_id is None:
        return None
    return Restriction.objects.filter(pk=form.cleaned_data["restriction"], person_id=person_id).first()


class EntryForm(forms.Form):
    """A request received by letter, phone, e-mail or in person."""

    kind = forms.ChoiceField(label=_("Kind"), choices=list(labels.KIND.items()))
    channel = forms.ChoiceField(
        label=_("Received by"), choices=[(c, labels.CHANNEL[c]) for c in labels.STAFF_CHANNELS]
    )
    person = forms.IntegerField(widget=forms.HiddenInput, required=False)
    email = forms.EmailField(
        label=_("E-mail address for the answer"),
        required=False,
        max_length=254,
        help_text=_("Needed when no person is chosen; otherwise the person's address on record is used."),
    )
    language = forms.ChoiceField(
        label=_("Language of the answer"),
        required=False,
        choices=[("", _("the person's language")), ("en", "English"), ("nl", "Nederlands")],
    )
    details = forms.CharField(
        label=_("What the person asked"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("In their words. Never a card number."),
    )
    changes = forms.CharField(
        label=_("Rectification: the right values"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: field=value, for example city=Gent."),
    )
    purposes = forms.CharField(
        label=_("Objection or consent withdrawal: purposes"),
        required=False,
        max_length=500,
        help_text=_(
            "Purpose keys of the policy, separated by spaces; direct_marketing for every marketing use."
        ),
    )
    ip_addresses = forms.CharField(
        label=_("IP addresses for web server logs"),
        required=False,
        max_length=2000,
        help_text=_("Access or erasure: separated by spaces."),
    )
    send_to = forms.EmailField(label=_("Portability: send to another party"), required=False, max_length=254)
    original = forms.FileField(
        label=_("The original letter or e-mail"),
        required=False,
        help_text=_("A scan, a photo or the e-mail as a file."),
    )

    def clean_details(self) -> str:
        return _no_card(self.cleaned_data.get("details", ""))

    def clean_original(self) -> Any:
        upload = self.cleaned_data.get("original")
        if upload is not None and upload.size > ORIGINAL_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(megabytes)s MB."),
                params={"megabytes": ORIGINAL_MAX_BYTES // 2**20},
            )
        return upload

    def clean_changes(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data.get("changes", "").splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep or not name.strip():
                raise forms.ValidationError(
                    _("Line %(number)s: write field=value."), params={"number": number}
                )
            found[name.strip()] = _no_card(value.strip())
        return found

    def clean_ip_addresses(self) -> list[str]:
        try:
            return canonical_addresses(self.cleaned_data.get("ip_addresses", "").replace(",", " ").split())
        except BadAddress as exc:
            raise forms.ValidationError(
                _("Address %(number)s is not an IP address."), params={"number": exc.number}
            ) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == Kind.RECTIFICATION and not data.get("changes"):
            self.add_error("changes", _("A rectification needs the right values."))
        return data

    def specifics(self) -> dict[str, Any]:
        data = self.cleaned_data
        specifics: dict[str, Any] = {}
        if data.get("changes"):
            specifics["changes"] = data["changes"]
        purposes = (data.get("purposes") or "").replace(",", " ").split()
        if purposes:
            specifics["purposes"] = purposes
        if data.get("ip_addresses"):
            specifics["ip_addresses"] = data["ip_addresses"]
        if data.get("send_to"):
            specifics["send_to"] = data["send_to"]
        return specifics


class PersonLookupForm(forms.Form):
    """The look-up of the person on the staff entry page (sent by POST: no name or address in a URL)."""

    q = forms.CharField(
        label=_("Find the person by name or e-mail address"),
        max_length=254,
        min_length=2,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, e-mail address, domain name or IP address"), max_length=253, min_length=2
    )


OPEN_STATUSES = [s for s in Status.values if s not in Status.closed()]


class WeblogSearchForm(forms.Form):
    """A privacy officer's search of the web access logs (sent by POST: no address in a URL)."""

    ip = forms.CharField(
        label=_("IP address"), required=False, max_length=64, help_text=_("IPv4 or IPv6, in any notation.")
    )
    path = forms.CharField(
        label=_("Path"),
        required=False,
        max_length=500,
        help_text=_("A pattern: * stands for any characters, such as /wp-login.php*"),
    )
    site = forms.CharField(label=_("Site"), required=False, max_length=253, help_text=_("A domain name."))
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label=_("Up to and including"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=REASONS,
        help_text=_("Why you search: the breach or the case. It is journaled with the search."),
    )

    def clean_ip(self) -> str:
        text = self.cleaned_data.get("ip", "").strip()
        if text and parse_address(text) is None:
            raise forms.ValidationError(_("This is not an IPv4 or IPv6 address."))
        return text

    def clean_reason(self) -> str:
        return _no_card(self.cleaned_data.get("reason", "").strip())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not any((cleaned.get(name) or "").strip() for name in ("ip", "path", "site")):
            raise forms.ValidationError(_("Give an IP address, a path or a site to search for."))
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The last day comes before the first."))
        return cleaned
