"""What the portal reads: a customer's data grouped by purpose, their requests, downloads and consents.

Everything starts from the signed-in customer's registry person; nothing here takes an id from the
browser without checking it belongs to that person (``get_request_for_customer``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.apps import apps
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from trustdesk.lib.datamap import history_base, model_map
from trustdesk.lib.markup import table_row
from trustdesk.policy.render import statement_context
from trustdesk.registry import datamap_ops
from trustdesk.registry.models import Person
from trustdesk.rights import clock
from trustdesk.rights.fulfil.readable import _section_name, _value, field_labels, record_title, shown
from trustdesk.rights.models import Download, Request
from trustdesk.rights.queries import is_reference

#: How the page names the kinds of record; others are named as the access report names them.
RECORDS: dict[str, Promise] = {
    "registry.person": _("You"),
    "registry.organisation": _("Your organisation"),
    "registry.role": _("Your roles"),
    "registry.service": _("Services"),
    "registry.serviceidentifier": _("Domain names and IP addresses"),
    "registry.invoice": _("Invoices"),
    "registry.invoiceline": _("Invoice lines"),
    "registry.usagerecord": _("Usage"),
    "registry.interaction": _("Contacts with you"),
    "registry.disclosure": _("Disclosures to others"),
    "consent.consentevent": _("Consents"),
    "rights.request": _("Your requests"),
    "rights.event": _("What happened with your requests"),
    "rights.restriction": _("Restrictions"),
    "rights.objection": _("Objections"),
    "auth.user": _("Your account"),
    "account.emailaddress": _("E-mail addresses of your account"),
    "account.emailconfirmation": _("Confirmations of your e-mail address"),
    "mfa.authenticator": _("Two-step verification"),
    "usersessions.usersession": _("Open sessions"),
    "accounts.loginlock": _("Failed log-ins"),
}

#: A purpose's values are folded under their count when there are more of them than this; a short list stays
#: open. The purpose's terms (why, from where, to whom, how long) are always shown.
FOLD_ABOVE = 10

#: Records of these models are shown in the download, not on the page: the journal and history copies
#: are evidence about the data, not the data itself.
NOT_ON_PAGE = frozenset({"journal.journalentry"})


#: Which section of an organisation (``accounts.access.SECTIONS``) a record about the organisation belongs to;
#: a kind of record not named here is shown to owners only.
ORGANISATION_SECTIONS: dict[str, str] = {
    "registry.organisation": "details",
    "registry.service": "services",
    "registry.serviceidentifier": "services",
    "registry.usagerecord": "services",
    "registry.invoice": "invoices",
    "registry.invoiceline": "invoices",
}


@dataclass
class Item:
    """One value we hold: which record it sits in, what it is, and the value as the person reads it."""

    record: str
    label: str
    value: str
    source: str

    @cached_property
    def row(self) -> SafeString:
        """The item as a table row, every value escaped (an item shown under several purposes is
        written once)."""
        return table_row((self.record, self.label, self.value, self.source))


@dataclass
class Group:
    """The values that one purpose of the policy uses, with what the policy says about that purpose."""

    key: str
    name: str
    purpose: dict[str, Any] | None
    items: list[Item] = field(default_factory=list)

    @property
    def folded(self) -> bool:
        """Whether the page shows the group's values folded under their count (:data:`FOLD_ABOVE`)."""
        return len(self.items) > FOLD_ABOVE

    @property
    def rows(self) -> SafeString:
        """The group's items as the rows of its table (a page can hold thousands of values: one
        string each, not a template loop)."""
        return SafeString("".join(item.row for item in self.items))


def _covered(purpose_categories: list[str], category: str) -> bool:
    return any(datamap_ops.covers(broad, category) for broad in purpose_categories)


#: What the page says of each purpose (its legal bases, sources, recipients and retention): the same for
#: every person, so written once per published version and language.
TERMS_TEMPLATE = "portal/purpose_terms.html"

#: The policy's purposes as the statement describes them (and ``terms_html``), per published version and
#: language.
_PURPOSES: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}


def _purposes(terms: clock.Terms, lang: str) -> dict[str, dict[str, Any]]:
    key = (terms.version_sha256, lang)
    if key not in _PURPOSES:
        if len(_PURPOSES) > 32:
            _PURPOSES.clear()
        context = statement_context(terms.policy, lang, "html")
        with translation.override(lang):
            _PURPOSES[key] = {
                entry["key"]: {**entry, "terms_html": render_to_string(TERMS_TEMPLATE, {"purpose": entry})}
                for entry in context["purposes"]
            }
    return _PURPOSES[key]


def data_by_purpose(
    person: Person, terms: clock.Terms, lang: str, *, organisation_sections: frozenset[str] = frozenset()
) -> list[Group]:
    """The person's data (and their organisations') from the data map, grouped by the purposes of the
    policy whose data categories cover each field; a field no purpose covers is in a last group.

    Records about an organisation are shown only where ``organisation_sections`` has their section, as the
    organisation's own pages show them to the person's registry role there. The records are read as they
    are now (``datamap_ops.live_records``: a fixed number of queries, however many records there are);
    history copies and the journal are in the download."""
    policy = terms.policy
    collected = datamap_ops.live_records(person)
    about_them = policy.registry_purposes()
    groups = {
        key: Group(key, entry["name"], entry)
        for key, entry in _purposes(terms, lang).items()
        if key in about_them
    }
    unclaimed = Group("", "", None)
    #: Per data category: the groups whose purposes cover it.
    categories: dict[str, list[Group]] = {}
    for model_label, rows in collected.items():
        if model_label in NOT_ON_PAGE:
            continue
        try:
            model = apps.get_model(model_label)
        except LookupError:
            continue
        if history_base(model) is not None:
            continue
        mapping = model_map(model)
        if mapping is None:
            continue
        section = (
            str(RECORDS[model_label]) if model_label in RECORDS else _section_name(model_label, model, lang)
        )
        labels = field_labels(model, mapping.personal, policy, lang)
        for row in rows:
            if row.get("about") == "organisation" and (
                ORGANISATION_SECTIONS.get(model_label, "contacts") not in organisation_sections
            ):
                continue
            fields = row.get("fields") or {}
            stated = fields.get("source_kind") or ""
            record = record_title(model, fields, lang) or section
            for name, declared in mapping.personal.items():
                value = fields.get(name)
                if value in (None, "", [], {}):
                    continue
                category = declared.category
                if category not in categories:
                    claimed = [
                        group
                        for key, group in groups.items()
                        if _covered(policy.purposes[key].data_categories, category)
                    ]
                    categories[category] = claimed or [unclaimed]
                item = Item(
                    record=record,
                    label=labels[name],
                    value=shown(model, name, value, lang),
                    source=_value(stated or declared.source, lang) if stated or declared.source else "",
                )
                for group in categories[category]:
                    group.items.append(item)
    listed = [group for group in groups.values() if group.items]
    if unclaimed.items:
        listed.append(unclaimed)
    return listed


def requests_of(person: Person) -> list[Request]:
    """Every request about the person, the newest first."""
    return list(Request.objects.filter(person=person).order_by("-received_at", "-pk"))


def get_request_for_customer(person: Person, reference: str) -> Request:
    """The person's request with this case number, or 404 (also for a request about anybody else)."""
    if not is_reference(reference):
        raise Http404("no such request")
    found = Request.objects.filter(person=person, reference=reference).first()
    if found is None:
        raise Http404("no such request")
    return found


def valid_downloads(request: Request) -> list[Download]:
    """The request's files that can still be downloaded."""
    return list(
        request.downloads.filter(deleted_at__isnull=True, expires_at__gt=timezone.now()).order_by(
            "format", "pk"
        )
    )
