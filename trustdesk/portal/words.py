"""What the portal says about requests, downloads and consents, in the person's language.

The rights app's choice labels are English words for staff and the journal; the portal shows its own,
translated, and only the timeline lines meant for the person (never staff notes).
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trustdesk.consent.models import ConsentEvent
from trustdesk.lib.deadlines import Urgency
from trustdesk.rights import clock
from trustdesk.rights.models import Download, Event, Kind, Request, Status

KINDS: dict[str, Promise] = {
    Kind.ACCESS: _("Access to your data"),
    Kind.RECTIFICATION: _("Correction of your data"),
    Kind.ERASURE: _("Erasure of your data"),
    Kind.RESTRICTION: _("Restriction of processing"),
    Kind.PORTABILITY: _("Your data to take elsewhere"),
    Kind.OBJECTION: _("Objection"),
    Kind.CONSENT_WITHDRAWAL: _("Withdrawal of consent"),
}

STATUSES: dict[str, Promise] = {
    Status.RECEIVED: _("received"),
    Status.AWAITING_IDENTITY: _("waiting for proof of your identity"),
    Status.IN_PROGRESS: _("in progress"),
    Status.AWAITING_CONFIRMATION: _("waiting for your confirmation"),
    Status.FULFILLED: _("done"),
    Status.REFUSED: _("refused"),
    Status.WITHDRAWN: _("withdrawn by you"),
    Status.LAPSED: _("closed: your identity was never confirmed"),
}

URGENCY: dict[str, Promise] = {
    Urgency.OVERDUE: _("overdue"),
    Urgency.DUE_TODAY: _("due today"),
    Urgency.DUE_SOON: _("due within a week"),
    Urgency.ON_TIME: _("on time"),
}

#: Timeline lines meant for the person: transitions (by the status they lead to) and these events.
EVENTS: dict[str, Promise] = {
    "opened": _("We received your request."),
    "extended": _("We extended the time to answer."),
    "downloaded": _("A file was downloaded."),
    "viewed": _("Our staff looked at your request."),
    "recipients_to_notify": _("The recipients of the corrected data are to be told."),
    "objection_recorded": _("Your objection is recorded: we decide on it and tell you why."),
    "objection_decided": _("We decided on your objection."),
    "sent_to_other_party": _("Your data was sent to the party you named."),
}

TRANSITIONS: dict[str, Promise] = {
    Status.AWAITING_IDENTITY: _("We asked you to confirm your identity."),
    Status.IN_PROGRESS: _("Your identity is settled: we are working on your request."),
    Status.AWAITING_CONFIRMATION: _("We asked you to confirm, because erasure ends a service."),
    Status.FULFILLED: _("Your request is done."),
    Status.REFUSED: _("We refused your request."),
    Status.WITHDRAWN: _("The request was withdrawn."),
    Status.LAPSED: _("The request was closed: your identity was never confirmed."),
}

FORMATS: dict[str, Promise] = {
    Download.Format.REPORT_HTML: _("Readable report (HTML)"),
    Download.Format.DATA_JSON: _("All data (JSON)"),
    Download.Format.PORTABLE_JSON: _("Data you provided (JSON)"),
    Download.Format.PORTABLE_CSV: _("Data you provided (CSV, zipped)"),
}

ASK_TITLES: dict[str, Promise] = {
    Kind.ERASURE: _("Ask us to erase your data"),
    Kind.RESTRICTION: _("Ask us to restrict the use of your data"),
    Kind.OBJECTION: _("Object to a use of your data"),
    Kind.PORTABILITY: _("Get the data you provided, to take elsewhere"),
}

ASK_INTROS: dict[str, Promise] = {
    Kind.ERASURE: _(
        "We erase everything we may erase, and tell you what the law makes us keep and until when. "
        "Our privacy team decides on the request and may refuse it with reasons."
    ),
    Kind.RESTRICTION: _(
        "While the use of your data is restricted, we only store it. Our privacy team decides on the request."
    ),
    Kind.OBJECTION: _(
        "An objection to direct marketing takes effect at once. On a purpose that rests on our legitimate "
        "interest, our privacy team decides and tells you why."
    ),
    Kind.PORTABILITY: _(
        "The data you gave us, as JSON and as CSV files: to download here, or sent straight to another party."
    ),
}

#: The answers the rights services give, so that the portal can show them in the person's language.
ANSWERS = (
    _("Your data and the information about its processing are ready to download."),
    _("We hold no personal data about you under the details you gave."),
    _("Your data was corrected."),
    _("The processing of your data is restricted: we only store it."),
    _("Your objection was decided."),
    _("Your consent was withdrawn."),
    _("You had not given consent for what you named."),
    _("Your data was sent to the party you named."),
    _("The data you provided is ready to download as JSON and as CSV."),
)


def answer_words(answer: str) -> str:
    """The answer in the person's language when it is one of the services' answers; else as written."""
    return gettext(answer) if answer else ""


def request_row(item: Request) -> dict[str, Any]:
    urgency = clock.urgency(item)
    return {
        "reference": item.reference,
        "kind": KINDS.get(item.kind, item.kind),
        "status": STATUSES.get(item.status, item.status),
        "closed": not item.is_open,
        "received_on": item.received_on,
        "due_on": item.due_on,
        "urgency": URGENCY.get(urgency, "") if urgency is not None else "",
        "urgency_key": urgency.value if urgency is not None else "",
        "answer": answer_words(item.answer),
        "awaiting_confirmation": item.status == Status.AWAITING_CONFIRMATION,
    }


def timeline(item: Request) -> list[dict[str, Any]]:
    lines = []
    for event in item.events.order_by("at", "pk"):
        text = _event_words(event)
        if text:
            lines.append({"at": event.at, "text": text})
    return lines


def _event_words(event: Event) -> Promise | str:
    if event.action in EVENTS:
        return EVENTS[event.action]
    if event.to_status and event.action == event.to_status:
        return TRANSITIONS.get(event.to_status, "")
    return ""


def download_row(download: Download) -> dict[str, Any]:
    return {
        "id": download.pk,
        "format": FORMATS.get(download.format, download.format),
        "size": download.size,
        "expires_at": download.expires_at,
    }


def consent_event_row(event: ConsentEvent) -> dict[str, Any]:
    return {
        "at": event.at,
        "given": event.kind == "given",
        "policy_version": event.policy_version.number,
    }
