"""What the console calls each choice, in the reader's language, and the colour it wears.

The models keep their English labels for the journal and the command line; these are the console's
words for them. A colour is a class of ``console/console.css`` (``tone-red`` ...), so templates print
``label`` and ``tone`` and decide nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from trustdesk.lib.deadlines import Urgency
from trustdesk.rights.models import Channel, IdentityMethod, Kind, Objection, RefusalGround, Status


@dataclass(frozen=True)
class Badge:
    label: str | Promise
    tone: str  # a colour: red, orange, yellow, green, blue, grey

    @property
    def css(self) -> str:
        return f"tone tone-{self.tone}"


KIND: dict[str, Promise] = {
    Kind.ACCESS: _("access (Art. 15)"),
    Kind.RECTIFICATION: _("rectification (Art. 16)"),
    Kind.ERASURE: _("erasure (Art. 17)"),
    Kind.RESTRICTION: _("restriction (Art. 18)"),
    Kind.PORTABILITY: _("portability (Art. 20)"),
    Kind.OBJECTION: _("objection (Art. 21)"),
    Kind.CONSENT_WITHDRAWAL: _("consent withdrawal (Art. 7(3))"),
}

STATUS: dict[str, Badge] = {
    Status.RECEIVED: Badge(_("received"), "blue"),
    Status.AWAITING_IDENTITY: Badge(_("waiting for identity"), "yellow"),
    Status.IN_PROGRESS: Badge(_("in progress"), "blue"),
    Status.AWAITING_CONFIRMATION: Badge(_("waiting for the person's confirmation"), "yellow"),
    Status.FULFILLED: Badge(_("fulfilled"), "green"),
    Status.REFUSED: Badge(_("refused"), "grey"),
    Status.WITHDRAWN: Badge(_("withdrawn by the person"), "grey"),
    Status.LAPSED: Badge(_("closed: identity never confirmed"), "grey"),
}

URGENCY: dict[Urgency, Badge] = {
    Urgency.OVERDUE: Badge(_("overdue"), Urgency.OVERDUE.colour),
    Urgency.DUE_TODAY: Badge(_("due today"), Urgency.DUE_TODAY.colour),
    Urgency.DUE_SOON: Badge(_("due soon"), Urgency.DUE_SOON.colour),
    Urgency.ON_TIME: Badge(_("on time"), Urgency.ON_TIME.colour),
}
CLOSED = Badge(_("closed"), "grey")

CHANNEL: dict[str, Promise] = {
    Channel.PORTAL: _("customer portal"),
    Channel.PUBLIC_FORM: _("public form"),
    Channel.LETTER: _("letter"),
    Channel.PHONE: _("phone"),
    Channel.EMAIL: _("e-mail"),
    Channel.IN_PERSON: _("in person"),
    Channel.API: _("API"),
    Channel.COMMAND: _("command line"),
}

#: The channels staff enter requests from.
STAFF_CHANNELS = (Channel.LETTER, Channel.PHONE, Channel.EMAIL, Channel.IN_PERSON)

IDENTITY: dict[str, Promise] = {
    IdentityMethod.TWO_FACTOR: _("signed in with two-factor authentication"),
    IdentityMethod.SESSION: _("signed in"),
    IdentityMethod.EMAIL_LINK: _("confirmed by a link sent to the address on record"),
    IdentityMethod.ID_DOCUMENT: _("identity document checked by staff (not kept)"),
    IdentityMethod.STAFF: _("verified by staff (for example a call back to the number on record)"),
}

GROUND: dict[str, Promise] = {
    RefusalGround.MANIFESTLY_UNFOUNDED: _("manifestly unfounded (Art. 12(5))"),
    RefusalGround.EXCESSIVE: _("excessive, in particular because repetitive (Art. 12(5))"),
    RefusalGround.NOT_JUSTIFIED: _("erasure not justified (Art. 17(3))"),
    RefusalGround.IDENTITY: _("identity could not be established (Art. 12(6))"),
}

DECISION: dict[str, Badge] = {
    Objection.Decision.PENDING: Badge(_("waiting for a decision"), "yellow"),
    Objection.Decision.UPHELD: Badge(_("upheld: the processing stops"), "green"),
    Objection.Decision.REJECTED: Badge(_("rejected: compelling legitimate grounds"), "grey"),
}


def urgency_badge(urgency: Urgency | None) -> Badge:
    return URGENCY[urgency] if urgency is not None else CLOSED


EVENT: dict[str, Promise] = {
    "opened": _("opened"),
    "extended": _("deadline extended"),
    "downloaded": _("file downloaded"),
    "original_viewed": _("original opened by staff"),
    "objection_recorded": _("objection recorded"),
    "objection_decided": _("objection decided"),
    "recipients_to_notify": _("recipients to tell of the correction"),
    "restriction_lift_announced": _("lifting of the restriction announced"),
    "sent_to_other_party": _("data sent to another party"),
    "mail_not_sent": _("e-mail not sent"),
    "mail_handled": _("person told another way"),
    "link_replaced": _("new link replaced the links not sent"),
    "link_sent_again": _("link sent again"),
}

#: The e-mails of a request, by template, as staff read them where one could not be sent.
MAIL: dict[str, Promise] = {
    "rights/email/acknowledged": _("the acknowledgement"),
    "rights/email/confirm_identity": _("the link to confirm identity"),
    "rights/email/confirm_erasure": _("the link to confirm the erasure"),
    "rights/email/extended": _("the notice of the extension"),
    "rights/email/refused": _("the refusal and its reasons"),
    "rights/email/fulfilled": _("the answer"),
    "rights/email/erased": _("the answer that the data is erased"),
    "rights/email/rectified": _("the answer that the data is corrected"),
    "rights/email/objection_decided": _("the decision on the objection"),
    "rights/email/access_ready": _("the answer with the download links"),
    "rights/email/portability_ready": _("the answer with the download links"),
    "rights/email/portability_transfer": _("the data to the other party"),
    "rights/email/restriction_lifting": _("the notice of the lifting of the restriction"),
}


def event_label(action: str) -> str | Promise:
    if action in EVENT:
        return EVENT[action]
    if action in STATUS:
        return STATUS[action].label
    return action


def mail_label(template: str) -> str | Promise:
    """What an e-mail of a request is, by its template; the template itself for one not named here."""
    return MAIL.get(template, template)
