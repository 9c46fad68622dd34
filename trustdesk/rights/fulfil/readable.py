"""The collected data as a person reads it: sections per kind of record, labels in their language.

Personal fields are labelled by their data category in the person's language (the policy's
names, then Trustdesk's, then fideslang's); the context of each record (where the data came
from, through which channel, when it was recorded and changed) follows with labels of its own.
Internal keys and codes stay in the JSON file, which holds everything.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone, translation
from django.utils.dates import MONTHS
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trustdesk.accounts.words import EVENTS as ACCOUNT_EVENTS
from trustdesk.accounts.words import details as account_details
from trustdesk.accounts.words import event_name
from trustdesk.lib.browsers import browser_name
from trustdesk.lib.datamap import SEALED_MAIL, WITHHELD, history_base, model_map
from trustdesk.policy import wording
from trustdesk.policy.schema import Policy
from trustdesk.registry.datamap_ops import model_of
from trustdesk.registry.services import PLAIN_REASONS

#: Context fields every record may carry, and how they are named.
CONTEXT: dict[str, dict[str, str]] = {
    "en": {
        "source_kind": "Where it came from",
        "source_name": "Source",
        "channel": "Received through",
        "created_at": "Recorded on",
        "updated_at": "Last changed on",
        "history_date": "Version of",
        "history_type": "Change",
        "occurred_at": "When",
        "disclosed_at": "Passed on",
        "recipient": "Recipient",
        "purpose": "Purpose",
        "action": "What happened",
        "at": "When",
    },
    "nl": {
        "source_kind": "Herkomst",
        "source_name": "Bron",
        "channel": "Ontvangen via",
        "created_at": "Vastgelegd op",
        "updated_at": "Laatst gewijzigd op",
        "history_date": "Versie van",
        "history_type": "Wijziging",
        "occurred_at": "Wanneer",
        "disclosed_at": "Doorgegeven op",
        "recipient": "Ontvanger",
        "purpose": "Doel",
        "action": "Wat er gebeurde",
        "at": "Wanneer",
    },
}

VALUES: dict[str, dict[str, str]] = {
    "en": {
        "data_subject": "from you",
        "organisation": "from your organisation",
        "third_party": "from a third party",
        "public": "from a public register",
        "observed": "recorded while you used our services",
        "+": "created",
        "~": "changed",
        "-": "deleted",
        WITHHELD: "held, not shown: it lets one log in to your account",
        SEALED_MAIL: "held sealed, not shown: an e-mail to you that we send again until it goes",
    },
    "nl": {
        "data_subject": "van u",
        "organisation": "van uw organisatie",
        "third_party": "van een derde",
        "public": "uit een openbaar register",
        "observed": "vastgelegd terwijl u onze diensten gebruikte",
        "+": "aangemaakt",
        "~": "gewijzigd",
        "-": "verwijderd",
        WITHHELD: "bewaard, niet getoond: hiermee kan men op uw account inloggen",
        SEALED_MAIL: "verzegeld bewaard, niet getoond: een e-mail aan u die we opnieuw versturen tot hij aankomt",
        "website": "website",
        "portal": "klantenportaal",
        "email": "e-mail",
        "phone": "telefoon",
        "fax": "fax",
        "letter": "brief",
        "in_person": "persoonlijk",
        "api": "koppeling met ons facturatiesysteem",
        "import": "import uit ons facturatiesysteem",
    },
}

SECTIONS: dict[str, dict[str, str]] = {
    "nl": {
        "registry.organisation": "Uw organisatie",
        "registry.historicalorganisation": "Eerdere versies van uw organisatie",
        "registry.person": "Uw persoonsgegevens",
        "registry.historicalperson": "Eerdere versies van uw persoonsgegevens",
        "registry.role": "Uw rollen",
        "registry.historicalrole": "Eerdere versies van uw rollen",
        "registry.service": "Diensten",
        "registry.historicalservice": "Eerdere versies van diensten",
        "registry.serviceidentifier": "Domeinnamen en IP-adressen",
        "registry.historicalserviceidentifier": "Eerdere versies van domeinnamen en IP-adressen",
        "registry.invoice": "Facturen",
        "registry.historicalinvoice": "Eerdere versies van facturen",
        "registry.invoiceline": "Factuurregels",
        "registry.usagerecord": "Verbruik",
        "registry.interaction": "Contacten met u",
        "registry.historicalinteraction": "Eerdere versies van contacten",
        "registry.disclosure": "Verstrekkingen aan derden",
        "registry.historicaldisclosure": "Eerdere versies van verstrekkingen",
        "consent.consentevent": "Toestemmingen",
        "rights.request": "Uw verzoeken",
        "rights.event": "Verloop van uw verzoeken",
        "journal.journalentry": "Ons verslag van wat er met uw gegevens gebeurde",
        "accounts.profile": "Uw account",
        "auth.user": "Uw account",
        "account.emailaddress": "E-mailadressen van uw account",
        "account.emailconfirmation": "Bevestigingen van uw e-mailadres",
        "mfa.authenticator": "Tweestapsverificatie",
        "usersessions.usersession": "Open sessies",
        "accounts.loginlock": "Mislukte inlogpogingen",
    },
    "en": {
        "journal.journalentry": "Our record of what was done with your data",
        "rights.request": "Your requests",
        "rights.event": "What happened with your requests",
        "consent.consentevent": "Consents",
        "accounts.profile": "Your account",
        "auth.user": "Your account",
        "account.emailaddress": "E-mail addresses of your account",
        "account.emailconfirmation": "Confirmations of your e-mail address",
        "mfa.authenticator": "Two-step verification",
        "usersessions.usersession": "Open sessions",
        "accounts.loginlock": "Failed log-ins",
    },
}


def stored_moment(value: str) -> dt.datetime | dt.date | None:
    """An ISO date or date and time as stored in the collected data; a moment with a zone in the
    site's time zone (``TIME_ZONE``), as every page shows it. ``None`` when it is neither."""
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def stored_time(value: Any) -> dt.datetime | None:
    """A value stored as an ISO date and time (``2026-03-01T23:30:00+00:00``, as ``jsonable`` writes one) in
    the site's time zone; ``None`` for any other value, an ISO date alone included."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        moment = stored_moment(value)
        if isinstance(moment, dt.datetime):
            return moment
    return None


def _value(value: Any, lang: str) -> str:
    if isinstance(value, str):
        moment = stored_time(value)
        if moment is not None:
            with translation.override(lang):
                return str(formats.date_format(moment, "j F Y, H:i"))
        return VALUES.get(lang, {}).get(value, value)
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


#: A history copy's own fields, which the report names in its own words: who made the change and why.
_COPY_OWN = frozenset({"history_user", "history_actor", "history_change_reason"})

#: Who changed a record, by the kind of actor the history copy names.
CHANGED_BY: dict[str, dict[str, str]] = {
    "en": {
        "label": "Changed by",
        "you": "you",
        "customer": "another customer's account",
        "user": "our staff",
        "operator": "our staff",
        "api-token": "our billing system",
        "system": "Trustdesk, automatically",
    },
    "nl": {
        "label": "Gewijzigd door",
        "you": "u",
        "customer": "het account van een andere klant",
        "user": "onze medewerkers",
        "operator": "onze medewerkers",
        "api-token": "ons facturatiesysteem",
        "system": "Trustdesk, automatisch",
    },
}

#: Why a record changed: the reasons Trustdesk writes, in the reader's words; a request's reference is kept.
REASONS: dict[str, dict[str, str]] = {
    "en": {"label": "Why", "retention": "its retention period ended"},
    "nl": {
        "label": "Waarom",
        "updated through the API": "gewijzigd door ons facturatiesysteem",
        "updated by import": "gewijzigd door een import uit ons facturatiesysteem",
        "no longer in the import": "niet meer in de import uit ons facturatiesysteem",
        "ended: no longer listed by the API": "beëindigd: niet meer gemeld door ons facturatiesysteem",
        "erased": "gewist",
        "retention": "de bewaartermijn was verstreken",
        "rectified: request ": "gecorrigeerd: verzoek ",
        "erasure: request ": "gewist: verzoek ",
    },
}


def _reason(reason: str, lang: str) -> str:
    words = REASONS.get(lang, REASONS["en"])
    if reason in words:
        return words[reason]
    for prefix in ("rectified: request ", "erasure: request "):
        if reason.startswith(prefix):
            return words.get(prefix, prefix) + reason.removeprefix(prefix)
    return reason


def _actor_ref(fields: Mapping[str, Any]) -> str:
    """Who made a history copy's change, as the journal names its actors (``user:<id>``, ``api-token:<id>``…)."""
    ref = fields.get("history_actor") or ""
    if not ref and fields.get("history_user") is not None:
        ref = f"user:{fields['history_user']}"
    return str(ref)


def _changed_by(fields: Mapping[str, Any], customers: Mapping[str, str], lang: str) -> str:
    """Who made a history copy's change, as the person reads it: they, another customer, our staff, our
    billing system or Trustdesk itself; staff, customers and API tokens are not named."""
    ref = _actor_ref(fields)
    if not ref:
        return ""
    words = CHANGED_BY.get(lang, CHANGED_BY["en"])
    if ref in customers:
        return words[customers[ref]]
    return words.get(ref.split(":", 1)[0], "")


def _customer_accounts(collected: Mapping[str, Any]) -> dict[str, str]:
    """The customers' accounts among those that made the history copies' changes: ``user:<id>`` to
    "you" for the person's own account, to "customer" for another customer's. Any other account
    (staff, or one with no role) is staff's."""
    users = set()
    for rows in collected.get("records", {}).values():
        for row in rows:
            kind, _, number = _actor_ref(row.get("fields") or {}).partition(":")
            if kind == "user" and number.isdigit():
                users.add(int(number))
    if not users:
        return {}
    person = collected.get("person")
    profiles = apps.get_model("accounts", "Profile")._default_manager.filter(
        user_id__in=users, role="customer"
    )
    return {
        f"user:{user_id}": "you" if person is not None and person_id == person else "customer"
        for user_id, person_id in profiles.values_list("user_id", "person_id")
    }


def _section_name(model_label: str, model: Any, lang: str) -> str:
    named = SECTIONS.get(lang, {}).get(model_label)
    if named:
        return named
    if model is None:
        return model_label
    base = history_base(model)
    with translation.override(lang):  # the report's language, whatever the reader's
        if base is not None:
            return gettext("earlier versions of %(records)s") % {"records": base._meta.verbose_name_plural}
        return str(model._meta.verbose_name_plural)


#: What the journal's verbs say, for the entries about the person's records.
VERBS: dict[str, dict[str, str]] = {
    "en": {
        "created": "recorded",
        "updated": "changed",
        "erased": "erased",
        "deleted": "deleted",
        "viewed": "looked at by our staff",
        "listed": "seen by our staff in a list",
        "was": "was",
    },
    "nl": {
        "created": "vastgelegd",
        "updated": "gewijzigd",
        "erased": "gewist",
        "deleted": "verwijderd",
        "viewed": "bekeken door onze medewerkers",
        "listed": "gezien door onze medewerkers in een lijst",
        "was": "eerder",
    },
}


#: Why a member of staff in each role looks at a person's records: the purpose the access report gives for
#: a look (Art. 15(1)(a); the CJEU, C-579/21: the person may know when and why, not by whom).
LOOK_PURPOSES: dict[str, dict[str, str]] = {
    "en": {
        "support": "for customer support",
        "privacy_officer": "for privacy oversight and requests about personal data",
        "abuse_desk": "for handling abuse reports",
        "administrator": "for the administration of our systems",
    },
    "nl": {
        "support": "voor klantenservice",
        "privacy_officer": "voor privacytoezicht en verzoeken over persoonsgegevens",
        "abuse_desk": "voor de afhandeling van misbruikmeldingen",
        "administrator": "voor het beheer van onze systemen",
    },
}
#: The journal's verbs of a look at a record (its page, or a list of results); their payload is the role.
LOOK_VERBS = ("viewed", "listed")


def _what_happened(action: str, object_type: str, lang: str, payload: Any = None) -> str:
    """A journal entry's action in the person's words: 'Person: changed', 'We received your request.'.
    An action Trustdesk has no words for stays as it is."""
    prefix, _, verb = action.rpartition(".")
    with translation.override(lang):
        if prefix == "rights.request":
            from trustdesk.portal.words import EVENTS, TRANSITIONS

            said = EVENTS.get(verb) or TRANSITIONS.get(verb)
            return str(said) if said else action
        if action in ACCOUNT_EVENTS:
            return event_name(action, payload)
        model = model_of(object_type) if prefix == object_type else None
        verbs = VERBS.get(lang, VERBS["en"])
        if model is not None and verb in verbs:
            done = f"{str(model._meta.verbose_name).capitalize()}: {verbs[verb]}"
            role = payload.get("role") if verb in LOOK_VERBS and isinstance(payload, dict) else None
            purpose = LOOK_PURPOSES.get(lang, LOOK_PURPOSES["en"]).get(str(role)) if role else None
            return f"{done}, {purpose}" if purpose else done
    return action


def _details(payload: Any, object_type: str, policy: Policy, lang: str, action: str = "") -> str:
    """A journal payload in the person's words: a registry change as 'City: Gent (was: Brugge)', each
    field named by its data category; an event of their account as its page tells it ('IP address:
    192.0.2.1; Browser: Firefox 128 on Windows 10/11'); anything else as 'key: value'."""
    if object_type == "auth.user" and action in ACCOUNT_EVENTS and isinstance(payload, dict):
        with translation.override(lang):
            return "; ".join(
                f"{what}: {value}" for what, value in account_details(payload, lambda v: _value(v, lang))
            )
    changed = payload.get("changed") if isinstance(payload, dict) else None
    model = model_of(object_type)
    mapping = model_map(model) if model is not None else None
    if isinstance(changed, dict) and mapping is not None and len(payload) == 1:
        was = VERBS.get(lang, VERBS["en"])["was"]
        parts = []
        order = {name: index for index, name in enumerate(mapping.personal)}  # the record's own order
        labels = field_labels(model, mapping.personal, policy, lang)
        for name, pair in sorted(changed.items(), key=lambda item: (order.get(item[0], len(order)), item[0])):
            if not (isinstance(pair, list) and len(pair) == 2):
                parts.append(f"{name}: {_value(pair, lang)}")
                continue
            old, new = pair
            label = labels.get(name, name)
            text = _value(new, lang) if new not in (None, "") else "—"
            if old not in (None, ""):
                text += f" ({was}: {_value(old, lang)})"
            parts.append(f"{label}: {text}")
        return "; ".join(parts)
    if isinstance(payload, dict):
        return "; ".join(f"{key}: {_value(value, lang)}" for key, value in payload.items())
    return _value(payload, lang)


def _journal_items(row: Mapping[str, Any], policy: Policy, lang: str) -> list[dict[str, Any]]:
    """A journal entry about the person's records: what happened, when, and the details kept (none once
    erased)."""
    context = CONTEXT.get(lang, CONTEXT["en"])
    object_type = row.get("object_type") or ""
    items = [
        {
            "label": context["action"],
            "value": _what_happened(row.get("action") or "", object_type, lang, row.get("payload")),
            "personal": False,
        },
        {"label": context["at"], "value": _value(row.get("at"), lang), "personal": False},
    ]
    payload = row.get("payload")
    if (
        payload and (row.get("action") or "").rpartition(".")[2] not in LOOK_VERBS
    ):  # a look's role is said above
        label = "Details" if lang == "en" else "Gegevens"
        items.append(
            {
                "label": label,
                "value": _details(payload, object_type, policy, lang, row.get("action") or ""),
                "personal": True,
            }
        )
    return items


def field_labels(model: Any, personal: Mapping[str, Any], policy: Policy, lang: str) -> dict[str, str]:
    """Each personal field's label: its data category's name, and after it what the data map says the
    value is where it says so ('Log-in credentials and permissions (when logging in last failed)'), or
    else, where two fields of the record share a category, the field's own name ('Unique identifier (VAT
    number)')."""
    named = {
        name: wording.term_name(policy, "data_categories", field.category, lang)
        for name, field in personal.items()
    }
    shared = {label for label in named.values() if list(named.values()).count(label) > 1}
    with translation.override(lang):
        for name, label in named.items():
            declared = getattr(personal[name], "label", "")
            if declared:
                named[name] = f"{label} ({declared})"
                continue
            own = _field(model, name) if model is not None and label in shared else None
            if own is not None:
                named[name] = f"{label} ({own.verbose_name})"
    return named


#: How a record is told apart from the others of its kind (the report's caption, the portal's "Record"
#: column): words with the record's own fields in them. A kind not named here has no title.
TITLES: dict[str, Promise] = {
    "registry.invoice": _("Invoice %(number)s of %(issued_on)s"),
    "registry.usagerecord": _("Usage of %(metric)s, %(period_start)s to %(period_end)s"),
    "registry.service": _("Service: %(kind)s"),
    "registry.interaction": _("Contact of %(occurred_at)s"),
    "rights.request": _("Request %(reference)s"),
    "registry.role": _("Role: %(kind)s"),
    "registry.serviceidentifier": _("Service identifier: %(kind)s"),
    "registry.invoiceline": _("Invoice line: %(description)s"),
    "registry.disclosure": _("Passed on to others on %(disclosed_at)s"),
    "consent.consentevent": _("Consent %(kind)s on %(at)s"),
    "rights.event": _("Step in a request on %(at)s"),
    "rights.restriction": _("Restriction since %(since)s"),
    "usersessions.usersession": _("Session since %(created_at)s"),
}


def number(value: Any, lang: str) -> str:
    """A stored decimal as the reader writes numbers: ``17.000`` as 17, ``31.670`` as 31.67 (31,67 in
    Dutch, where 17.000 would read as seventeen thousand), thousands grouped as the language groups them
    (``1234.500`` as 1,234.5 and 1.234,5). Anything else is left as it is."""
    try:
        amount = Decimal(str(value))
        if not amount.is_finite():
            return str(value)
        amount = amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount.normalize()
    except InvalidOperation:  # not a number, or too large to write out
        return str(value)
    if translation.get_language() == lang:
        return str(formats.number_format(amount, use_l10n=True, force_grouping=True))
    with translation.override(lang):
        return str(formats.number_format(amount, use_l10n=True, force_grouping=True))


def _field(model: Any, name: str) -> models.Field[Any, Any] | None:
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, models.Field) else None


def shown(model: Any, name: str, value: Any, lang: str) -> str:
    """A field's stored value as the reader reads it: a decimal as a number of their language (see
    :func:`number`), anything else as :func:`_value` writes it."""
    field = _field(model, name) if model is not None else None
    if isinstance(field, models.DecimalField) and value is not None:
        return number(value, lang)
    return _value(value, lang)


def record_title(model: Any, fields: Mapping[str, Any], lang: str) -> str:
    """Which record this is, in the reader's words (:data:`TITLES`): "Invoice 2025-000001 of 1 January
    2025", "Usage of traffic (GB), 1 October 2024 to 31 December 2024". A history copy is titled as its
    record. Empty for a kind with no title, or when a field the title needs is empty or not collected."""
    if model is None:
        return ""
    plan = _title_plan(history_base(model) or model, lang)
    if plan is None:
        return ""
    template, parts = plan
    values: dict[str, str] = {}
    for name, field, choices in parts:
        value = fields.get(name)
        if value in (None, "") or field is None:
            return ""
        if choices is not None:
            values[name] = choices.get(value, str(value))
        elif isinstance(field, models.DateField) and isinstance(value, str):
            moment = stored_moment(value)
            values[name] = value if moment is None else _date(moment, lang)
        else:
            values[name] = shown(field.model, name, value, lang)
    return template % values


@functools.lru_cache(maxsize=256)
def _title_plan(
    model: type[models.Model], lang: str
) -> tuple[str, list[tuple[str, models.Field[Any, Any] | None, dict[Any, str] | None]]] | None:
    """A kind's title in ``lang`` and, for each field it names, the field and its choices' labels."""
    title = TITLES.get(model._meta.label_lower)
    if title is None:
        return None
    with translation.override(lang):
        template = str(title)
        parts = []
        for name in re.findall(r"%\((\w+)\)s", template):
            field = _field(model, name)
            choices = (
                {key: str(label) for key, label in field.flatchoices} if field and field.choices else None
            )
            parts.append((name, field, choices))
    return template, parts


@functools.lru_cache(maxsize=256)
def _kind_name(model: Any, lang: str) -> str:
    """A record's kind in ``lang`` ("Organisation", "Person"): the caption of a record whose kind has no
    title. A history copy is named as its record; its own number is no use to the reader."""
    if model is None:
        return ""
    with translation.override(lang):
        return capfirst(str((history_base(model) or model)._meta.verbose_name)) or ""


def _date(moment: dt.date, lang: str) -> str:
    """``moment`` as Django's ``j F Y`` writes it in ``lang`` ("1 October 2024", "1 oktober 2024"), at a
    fraction of its cost: a page titles hundreds of records."""
    return f"{moment.day} {_months(lang)[moment.month - 1]} {moment.year}"


@functools.lru_cache(maxsize=16)
def _months(lang: str) -> tuple[str, ...]:
    with translation.override(lang):
        return tuple(str(MONTHS[number]) for number in range(1, 13))


#: The columns of the web server log lines in the report, by the keys of ``Hit.as_dict``.
HIT_COLUMNS: dict[str, dict[str, str]] = {
    "en": {
        "at": "When",
        "site": "Website",
        "method": "Method",
        "path": "Page",
        "status": "Answer",
        "bytes": "Bytes",
        "referrer": "Came from",
        "user_agent": "Browser",
        "ip": "IP address",
    },
    "nl": {
        "at": "Wanneer",
        "site": "Website",
        "method": "Methode",
        "path": "Pagina",
        "status": "Antwoord",
        "bytes": "Bytes",
        "referrer": "Kwam van",
        "user_agent": "Browser",
        "ip": "IP-adres",
    },
}


def readable_hits(hits: Sequence[Mapping[str, Any]], lang: str) -> tuple[list[str], list[list[str]]]:
    """The web server log lines for the report: column names in the reader's language and, per line, its
    values in that order (the moment in the site's time zone, the browser by its name as the account pages
    give it, a value the log did not hold empty). The JSON file keeps the lines as stored."""
    columns = HIT_COLUMNS.get(lang, HIT_COLUMNS["en"])
    rows = []
    for hit in hits:
        row = []
        for key in columns:
            value = hit.get(key)
            if value is None:
                row.append("")
            elif key == "at":
                row.append(_value(str(value), lang))
            elif key == "user_agent":
                with translation.override(lang):
                    row.append(browser_name(str(value)))
            else:
                row.append(str(value))
        rows.append(row)
    return list(columns.values()), rows


def _context_value(model_label: str, name: str, value: Any, policy: Policy, lang: str) -> str:
    """A context field's value in the person's words where a key stands for words: a request's step,
    a recipient."""
    if model_label == "rights.event" and name == "action":
        from trustdesk.portal.words import EVENTS, TRANSITIONS

        with translation.override(lang):
            said = EVENTS.get(value) or TRANSITIONS.get(value)
            if said:
                return str(said)
    if name == "recipient" and isinstance(value, str) and value in policy.recipients:
        return policy.recipients[value].display_name(lang)
    return _value(value, lang)


def _declared_sources(
    personal: Mapping[str, Any], fields: Mapping[str, Any], labels: Mapping[str, str], lang: str
) -> str:
    """Where a record's values came from when the record does not say (an account, a session): from the
    data map's ``Field.source`` of the values it holds, one source alone, or each with its values ("from
    you: User name, E-mail address; recorded while you used our services: …"). Empty when none is
    declared."""
    by_source: dict[str, list[str]] = {}
    for name, field in personal.items():
        source = getattr(field, "source", "")
        if source and fields.get(name) not in (None, "", [], {}):
            by_source.setdefault(source, []).append(labels[name])
    if len(by_source) == 1:
        return _value(next(iter(by_source)), lang)
    return "; ".join(f"{_value(source, lang)}: {', '.join(named)}" for source, named in by_source.items())


def readable_records(collected: Mapping[str, Any], policy: Policy, lang: str) -> list[dict[str, Any]]:
    """Sections for the report: a name, and records of (label, value, is it personal) items."""
    context = CONTEXT.get(lang, CONTEXT["en"])
    customers = _customer_accounts(collected)
    sections = []
    for model_label, rows in collected.get("records", {}).items():
        model = model_of(model_label)
        mapping = model_map(model) if model is not None else None
        personal = mapping.personal if mapping else {}
        is_copy = model is not None and history_base(model) is not None
        labels = field_labels(model, personal, policy, lang)
        records = []
        for row in rows:
            fields = row.get("fields")
            if fields is None:  # a journal entry
                records.append(
                    {
                        "pk": row.get("seq"),
                        "title": ("Entry %s" if lang == "en" else "Regel %s") % row.get("seq"),
                        "about": row.get("about", ""),
                        "fields": _journal_items(row, policy, lang),
                    }
                )
                continue
            items = []
            for name in personal:
                value = fields.get(name)
                if value in (None, "", [], {}) or (is_copy and name in _COPY_OWN):
                    continue
                items.append(
                    {"label": labels[name], "value": shown(model, name, value, lang), "personal": True}
                )
            declared = (
                _declared_sources(personal, fields, labels, lang) if not fields.get("source_kind") else ""
            )
            if declared:
                items.append({"label": context["source_kind"], "value": declared, "personal": False})
            for name, label in context.items():
                value = fields.get(name)
                if name in personal or value in (None, "", [], {}):
                    continue
                items.append(
                    {
                        "label": label,
                        "value": _context_value(model_label, name, value, policy, lang),
                        "personal": False,
                    }
                )
            if is_copy:
                by = _changed_by(fields, customers, lang)
                if by:
                    items.append(
                        {
                            "label": CHANGED_BY.get(lang, CHANGED_BY["en"])["label"],
                            "value": by,
                            "personal": False,
                        }
                    )
                why = fields.get("history_change_reason") or ""
                if why and why != PLAIN_REASONS.get(fields.get("history_type", "")):
                    label = REASONS.get(lang, REASONS["en"])["label"]
                    items.append({"label": label, "value": _reason(why, lang), "personal": True})
            if items:
                records.append(
                    {
                        "pk": row.get("pk"),
                        "title": record_title(model, fields, lang) or _kind_name(model, lang),
                        "about": row.get("about", ""),
                        "fields": items,
                    }
                )
        if records:
            sections.append(
                {"label": model_label, "name": _section_name(model_label, model, lang), "records": records}
            )
    return sections
