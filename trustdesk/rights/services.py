"""State changes of data-subject requests. Each is atomic and writes its journal entry in the same transaction.

One transition function, :func:`transition`, moves a request between statuses and refuses
illegal moves; every move is a timeline :class:`~trustdesk.rights.models.Event` and a journal
entry (``rights.request.<status>``) whose core holds the request's id only. What the person
wrote, and notes that may name them, go in the entry's payload, which erasure clears.

Fulfilment is :mod:`trustdesk.rights.fulfil`; restriction, objection and ``may_process`` are
:mod:`trustdesk.rights.processing`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from trustdesk.journal.services import record
from trustdesk.lib import mail
from trustdesk.lib.cards import CARD_MESSAGE, contains_card_number
from trustdesk.lib.durations import Duration, DurationError
from trustdesk.registry.models import Person
from trustdesk.registry.services import Actor, IntakeError
from trustdesk.rights import clock
from trustdesk.rights.models import (
    Channel,
    Event,
    IdentityMethod,
    Kind,
    Pause,
    RefusalGround,
    Request,
    Status,
    Verification,
)
from trustdesk.rights.queries import unsent_since_handled

#: Which status may follow which. Everything else is refused by ``transition``.
MOVES: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset(
        {Status.AWAITING_IDENTITY, Status.IN_PROGRESS, Status.REFUSED, Status.WITHDRAWN}
    ),
    Status.AWAITING_IDENTITY: frozenset(
        {Status.IN_PROGRESS, Status.REFUSED, Status.WITHDRAWN, Status.LAPSED}
    ),
    Status.IN_PROGRESS: frozenset(
        {
            Status.AWAITING_IDENTITY,
            Status.AWAITING_CONFIRMATION,
            Status.FULFILLED,
            Status.REFUSED,
            Status.WITHDRAWN,
        }
    ),
    Status.AWAITING_CONFIRMATION: frozenset({Status.IN_PROGRESS, Status.WITHDRAWN, Status.REFUSED}),
    Status.FULFILLED: frozenset(),
    Status.REFUSED: frozenset(),
    Status.WITHDRAWN: frozenset(),
    Status.LAPSED: frozenset(),
}

#: How long a link sent to confirm an address stays valid.
LINK_VALIDITY = dt.timedelta(days=7)

#: Characters of case numbers: no 0/O, 1/I/L, so that they can be read out on the phone.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class RequestError(Exception):
    """A request cannot be changed like this; the message says why, without personal data."""


class IllegalMove(RequestError):
    pass


def _label() -> str:
    return "rights.request"


def _now() -> dt.datetime:
    return timezone.now()


def new_reference() -> str:
    """``R-2026-7KQ4MX``: the year and six random characters, unique."""
    year = timezone.localdate().year
    while True:
        code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
        reference = f"R-{year}-{code}"
        if not Request.objects.filter(reference=reference).exists():
            return reference


def note_event(
    request: Request,
    action: str,
    *,
    actor: Actor,
    note: str = "",
    payload: Mapping[str, Any] | None = None,
    from_status: str = "",
    to_status: str = "",
) -> Event:
    """A timeline line and its journal entry (``rights.request.<action>``)."""
    data: dict[str, Any] = dict(payload or {})
    if note:
        data["note"] = note
    entry = record(
        f"rights.request.{action}",
        actor=actor.ref,
        object_type=_label(),
        object_id=str(request.pk),
        payload=data or None,
    )
    return Event.objects.create(
        request=request,
        at=entry.at,
        actor=actor.ref,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        journal_seq=entry.seq,
    )


@transaction.atomic
def transition(
    request: Request,
    to: str,
    *,
    actor: Actor,
    note: str = "",
    payload: Mapping[str, Any] | None = None,
) -> Event:
    """Move the request to status ``to``, or refuse with :class:`IllegalMove`."""
    current = Request.objects.select_for_update().get(pk=request.pk)
    if to not in MOVES.get(current.status, frozenset()):
        raise IllegalMove(
            gettext("request %(reference)s is %(status)s: it cannot become %(to)s")
            % {
                "reference": current.reference,
                "status": Status(current.status).label,
                "to": Status(to).label if to in Status.values else repr(to),
            }
        )
    before = current.status
    request.status = to
    if to in Status.closed():
        request.closed_at = _now()
    # The mark of an e-mail not sent is written after a commit, behind the back of any copy of the request
    # held by the caller: the row's own value stays.
    request.mail_failed_at = current.mail_failed_at
    request.save()
    return note_event(request, to, actor=actor, note=note, payload=payload, from_status=before, to_status=to)


#: Who records what happened without anybody's action: an e-mail that could not be sent.
SYSTEM = Actor(ref="system")


def notify(
    request: Request,
    name: str,
    *,
    to: str,
    context: Mapping[str, Any],
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> None:
    """Send the e-mail ``name`` about ``request`` when the transaction commits (``trustdesk.lib.mail``).

    When it cannot be sent, the request's timeline says so (``mail_not_sent``, its note the template and the
    kind of failure, ``rights/email/acknowledged: SMTPRecipientsRefused 550``; never the address) and the
    request is marked for staff (``mail_failed_at``) until they record how the person was told
    (:func:`do_mail_handled`). A link (:data:`LINK_MAILS`) that reaches the mail server settles the
    mark by itself when the e-mails not sent were all links of its kind (:func:`note_link_sent`): the
    new link replaces them, as when staff send it again (:func:`do_send_link_again`)."""
    pk = request.pk
    mail.send(
        name,
        to=to,
        lang=request.language,
        context=context,
        attachments=attachments,
        reference=request.reference,
        on_failure=lambda why: note_mail_not_sent(pk, name, why),
        on_sent=(lambda: note_link_sent(pk, name)) if name in LINK_MAILS else None,
    )


#: The e-mails whose whole content is a link for what the request waits for: a later one replaces an earlier.
LINK_MAILS = frozenset({"rights/email/confirm_identity", "rights/email/confirm_erasure"})


@transaction.atomic
def note_mail_not_sent(pk: int, name: str, why: str) -> None:
    """Note on request ``pk`` that its e-mail ``name`` could not be sent (``why``: the kind of failure) and
    mark the request for staff."""
    item = Request.objects.select_for_update().get(pk=pk)
    note_event(item, "mail_not_sent", actor=SYSTEM, note=f"{name}: {why}")
    Request.objects.filter(pk=pk).update(mail_failed_at=_now())


def note_link_sent(pk: int, name: str) -> None:
    """A link e-mail ``name`` of request ``pk`` reached the mail server. When every e-mail of the request not
    sent since staff last recorded how the person was told was a link of this kind, the person now has what
    they would have said: the mark is cleared and the timeline says why (``link_replaced``, by the system)."""
    if not Request.objects.filter(pk=pk, mail_failed_at__isnull=False).exists():
        return  # the usual case: nothing was marked
    with transaction.atomic():
        item = Request.objects.select_for_update().get(pk=pk)
        if item.mail_failed_at is None:
            return
        unsent = unsent_since_handled(list(item.events.order_by("at", "id")))
        if not unsent or any(event.note.partition(": ")[0] != name for event in unsent):
            return
        Request.objects.filter(pk=pk).update(mail_failed_at=None)
        note_event(item, "link_replaced", actor=SYSTEM, note=f"{name}: a new link was sent and accepted")


@transaction.atomic
def do_mail_handled(request: Request, *, actor: Actor, note: str) -> Request:
    """Staff record how the person was told what an e-mail that could not be sent would have said."""
    note = note.strip()
    if not note:
        raise RequestError(gettext("say how the person was told: the note is the record of it"))
    _refuse_card_numbers(note=note)
    current = Request.objects.select_for_update().get(pk=request.pk)
    if current.mail_failed_at is None:
        raise RequestError(
            gettext("request %(reference)s has no e-mail that was not sent")
            % {"reference": current.reference}
        )
    Request.objects.filter(pk=current.pk).update(mail_failed_at=None)
    request.mail_failed_at = None
    note_event(request, "mail_handled", actor=actor, note=note)
    return request


def _refuse_card_numbers(**texts: str) -> None:
    errors = {name: CARD_MESSAGE for name, text in texts.items() if text and contains_card_number(text)}
    if errors:
        raise IntakeError(errors)


class BadAddress(ValueError):
    """An IP address given with a request is not one; ``number`` says which (from 1)."""

    def __init__(self, number: int) -> None:
        super().__init__(gettext("address %(number)s is not an IP address") % {"number": number})
        self.number = number


def canonical_addresses(values: Iterable[str]) -> list[str]:
    """IP addresses given with a request, in the one form lookups use (::ffff:192.0.2.1 is 192.0.2.1)."""
    from trustdesk.lib.pseudonyms import canonical

    found: list[str] = []
    for number, value in enumerate(values, start=1):
        try:
            ipaddress.ip_address(value.strip())
        except ValueError:
            raise BadAddress(number) from None
        found.append(canonical(value, "ip"))
    return found


def match_person(email: str) -> Person | None:
    """The one person on record with this address, or None (none, or several: staff decide)."""
    if not email:
        return None
    found = list(Person.objects.filter(email__iexact=email.strip())[:2])
    return found[0] if len(found) == 1 else None


def _language(person: Person | None, given: str | None, languages: list[str]) -> str:
    use = languages
    for candidate in (given, person.language if person else None):
        if candidate and candidate[:2].lower() in use:
            return candidate[:2].lower()
    return use[0]


@transaction.atomic
def do_open_request(
    kind: str,
    *,
    channel: str,
    actor: Actor,
    email: str = "",
    person: Person | None = None,
    details: str = "",
    specifics: Mapping[str, Any] | None = None,
    language: str | None = None,
    received_at: dt.datetime | None = None,
    original: File[Any] | None = None,
    acknowledge: bool = True,
) -> Request:
    """Record a request as received, with its due date; the person gets an acknowledgement.

    ``person`` is who the request is about when it is known (signed in, or chosen by staff);
    otherwise the one person whose address on record is ``email``, if exactly one is. The
    acknowledgement goes to ``email`` (or the person's address) and reads the same whether or
    not anybody is on record: nobody learns from it whether a person exists.
    """
    if kind not in Kind.values:
        raise IntakeError(
            {
                "kind": gettext("%(kind)r is not a kind of request: use one of %(kinds)s")
                % {"kind": kind, "kinds": ", ".join(Kind.values)}
            }
        )
    if channel not in Channel.values:
        raise IntakeError(
            {
                "channel": gettext("%(channel)r is not a channel: use one of %(channels)s")
                % {"channel": channel, "channels": ", ".join(Channel.values)}
            }
        )
    email = (email or "").strip()
    if email and ("@" not in email or len(email) > 254 or any(c.isspace() for c in email)):
        raise IntakeError({"email": gettext("this is not an e-mail address")})
    _refuse_card_numbers(details=details)
    if person is None:
        person = match_person(email)
    if not email and person is not None:
        email = person.email
    if not email and person is None:
        raise IntakeError(
            {"email": gettext("give the address the answer goes to, or the person the request is about")}
        )
    when = received_at or _now()
    use = clock.terms()
    request = Request(
        reference=new_reference(),
        kind=kind,
        channel=channel,
        person=person,
        email=email,
        language=_language(person, language, list(use.policy.languages)),
        details=details,
        specifics=dict(specifics or {}),
        received_at=when,
        received_on=timezone.localtime(when).date(),
        created_by=actor.ref,
    )
    request.due_on = clock.due_date(request, use=use)
    if original is not None:
        request.original.save(f"{request.reference}-{original.name or 'original'}", original, save=False)
    request.save()
    note_event(
        request,
        "opened",
        actor=actor,
        payload={"details": details} if details else None,
        to_status=Status.RECEIVED,
    )
    if acknowledge and email:
        notify(request, "rights/email/acknowledged", to=email, context=_mail_context(request, use=use))
    return request


def _mail_context(request: Request, *, use: clock.Terms | None = None, **extra: Any) -> dict[str, Any]:
    policy = (use or clock.terms()).policy
    controller = policy.controller
    return {
        "request": request,
        "kind": Kind(request.kind),
        "controller_name": controller.trade_name or controller.legal_name,
        "controller_email": (policy.rights.contact.email if policy.rights.contact else None)
        or controller.email,
        **extra,
    }


def _token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hashlib.sha256(token.encode("ascii")).hexdigest()


def link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


@transaction.atomic
def do_ask_identity(request: Request, *, actor: Actor, note: str = "") -> Request:
    """Ask for identity information: the clock stops until it arrives.

    A link goes to the address on record (the person's, or the address the request came from
    when nobody is on record with it: then only its holder can go on). Confirming it is
    :func:`do_confirm_link`.
    """
    transition(request, Status.AWAITING_IDENTITY, actor=actor, note=note)
    Pause.objects.create(request=request, started_on=timezone.localdate(), reason="identity")
    _send_identity_link(request)
    _refresh_due(request)
    return request


def _send_identity_link(request: Request) -> None:
    address = request.person.email if request.person and request.person.email else request.email
    url = make_link(request, "identity")
    if address:
        notify(
            request,
            "rights/email/confirm_identity",
            to=address,
            context=_mail_context(request, url=url, valid_days=LINK_VALIDITY.days),
        )


@transaction.atomic
def do_send_link_again(request: Request, *, actor: Actor, note: str = "") -> Request:
    """A new link for what the request waits for: the person's identity, or their confirmation of an
    erasure that ends a service. For a person who did not receive the first (an e-mail that could not be
    sent, a spam filter); the earlier links stay valid until they expire, and each can be used once."""
    current = Request.objects.select_for_update().get(pk=request.pk)
    if current.status not in (Status.AWAITING_IDENTITY, Status.AWAITING_CONFIRMATION):
        raise RequestError(
            gettext("request %(reference)s is %(status)s: it waits for no link")
            % {"reference": current.reference, "status": Status(current.status).label}
        )
    identity = current.status == Status.AWAITING_IDENTITY
    address = current.email
    if identity and current.person is not None and current.person.email:
        address = current.person.email
    if not address:
        raise RequestError(
            gettext("request %(reference)s has no e-mail address to send a link to")
            % {"reference": current.reference}
        )
    note_event(current, "link_sent_again", actor=actor, note=note)
    if identity:
        _send_identity_link(current)
    else:
        from trustdesk.rights.fulfil.erasure import ask_to_confirm_erasure

        ask_to_confirm_erasure(current)
    return current


def _close_pauses(request: Request) -> None:
    request.pauses.filter(ended_on__isnull=True).update(ended_on=timezone.localdate())


def _refresh_due(request: Request, use: clock.Terms | None = None) -> None:
    request.due_on = clock.due_date(request, use=use)
    request.save(update_fields=["due_on"])


@transaction.atomic
def do_verify_identity(request: Request, *, method: str, actor: Actor, note: str = "") -> Request:
    """Record how the person's identity was established; the request goes on, the clock runs again.

    ``id_document`` records that staff checked a document: the document itself is never stored,
    and ``note`` must not describe it beyond what was checked.
    """
    if method not in IdentityMethod.values:
        raise RequestError(
            gettext("%(method)r is not a way of verifying identity: use one of %(methods)s")
            % {"method": method, "methods": ", ".join(IdentityMethod.values)}
        )
    _refuse_card_numbers(note=note)
    use = clock.terms()
    identity = use.policy.rights.identity
    if method == IdentityMethod.ID_DOCUMENT and identity.id_document == "never":
        raise RequestError(
            gettext(
                "the policy in effect asks for no identity document (rights.identity.id_document: never): "
                "verify another way"
            )
        )
    if method == IdentityMethod.SESSION and identity.signed_in == "two_factor":
        raise RequestError(
            gettext(
                "the policy in effect verifies signed-in people by two-factor authentication "
                "(rights.identity.signed_in: two_factor): a session alone is not enough"
            )
        )
    request.refresh_from_db()
    if request.status not in (Status.RECEIVED, Status.AWAITING_IDENTITY):
        raise IllegalMove(
            gettext("request %(reference)s is %(status)s: identity is already settled")
            % {"reference": request.reference, "status": Status(request.status).label}
        )
    _close_pauses(request)
    request.identity_method = method
    request.identity_verified_at = _now()
    request.identity_note = note
    request.save()
    transition(request, Status.IN_PROGRESS, actor=actor, payload={"identity": method})
    _refresh_due(request, use)
    return request


class LinkError(RequestError):
    """The link is unknown, used or expired; the message is safe to show to anybody."""


@transaction.atomic
def do_confirm_link(token: str) -> tuple[Request, str]:
    """Use a link from an e-mail: (the request, what was confirmed: 'identity' or 'erasure')."""
    digest = hashlib.sha256(token.encode("ascii", "replace")).hexdigest()
    verification = Verification.objects.select_for_update().filter(token_sha256=digest).first()
    if verification is None or verification.used_at is not None:
        raise LinkError(gettext("this link is not valid, or has been used already"))
    if verification.expires_at < _now():
        raise LinkError(gettext("this link has expired: please send your request again"))
    verification.used_at = _now()
    verification.save(update_fields=["used_at"])
    request = verification.request
    actor = Actor(ref=f"link:{verification.pk}")
    if verification.purpose == "identity":
        do_verify_identity(request, method=IdentityMethod.EMAIL_LINK, actor=actor)
    elif verification.purpose == "confirm_erasure":
        from trustdesk.rights.fulfil import do_confirm_erasure

        do_confirm_erasure(request, actor=actor)
    else:
        raise LinkError(gettext("this link is not valid, or has been used already"))
    return request, verification.purpose


def make_link(request: Request, purpose: str) -> str:
    """A fresh single-use link for ``purpose`` ('identity', 'confirm_erasure'); only its hash is kept."""
    token, digest = _token()
    Verification.objects.create(
        request=request,
        token_sha256=digest,
        purpose=purpose,
        created_at=_now(),
        expires_at=_now() + LINK_VALIDITY,
    )
    return link(reverse("rights:confirm", args=[token]))


@transaction.atomic
def do_extend(request: Request, *, by: str | Duration, reason: str, actor: Actor) -> Request:
    """Extend the deadline (Art. 12(3)): at most the policy's maximum, with reasons, within the first period.

    The person is told of the extension and its reasons.
    """
    reason = (reason or "").strip()
    if not reason:
        raise RequestError(gettext("an extension needs its reasons: the person is told them (Art. 12(3))"))
    _refuse_card_numbers(reason=reason)
    try:
        duration = by if isinstance(by, Duration) else Duration.parse(by)
    except DurationError as exc:
        raise RequestError(str(exc)) from None
    request.refresh_from_db()
    if not request.is_open:
        raise IllegalMove(
            gettext("request %(reference)s is %(status)s: it cannot be extended")
            % {"reference": request.reference, "status": Status(request.status).label}
        )
    if request.extended_by:
        raise RequestError(
            gettext("request %(reference)s was extended already (by %(by)s)")
            % {"reference": request.reference, "by": request.extended_by}
        )
    use = clock.terms()
    if not clock.may_extend(request, use=use):
        raise RequestError(
            gettext(
                "request %(reference)s can no longer be extended: an extension must be decided and told "
                "within the first period, which ended on %(day)s"
            )
            % {"reference": request.reference, "day": clock.due_date(request, use=use).isoformat()}
        )
    base = clock.due_date(request, use=use)
    from trustdesk.lib.deadlines import DeadlineError, add_duration

    if add_duration(base, duration) > add_duration(base, use.extension_max):
        raise RequestError(
            gettext("an extension of %(asked)s is longer than the %(most)s the policy allows")
            % {"asked": duration.iso(), "most": use.extension_max.iso()}
        )
    request.extended_by = duration.iso()
    request.extension_reason = reason
    try:
        request.due_on = clock.due_date(request, use=use)
    except DeadlineError as exc:
        raise RequestError(str(exc)) from None
    request.save()
    note_event(
        request,
        "extended",
        actor=actor,
        note=reason,
        payload={"by": duration.iso(), "due_on": request.due_on.isoformat()},
    )
    notify(
        request,
        "rights/email/extended",
        to=request.email,
        context=_mail_context(request, reason=reason, by_words=duration.words(request.language)),
    )
    return request


def authority_words(lang: str) -> dict[str, str]:
    """The supervisory authority as the person is told of it (Art. 12(4), 77)."""
    policy = clock.terms().policy
    authority = policy.authority()
    if authority is None:
        return {}
    return {
        "name": authority.name.get(lang),
        "address": authority.address,
        "email": authority.email or "",
        "website": authority.website or "",
        "phone": authority.phone or "",
    }


@transaction.atomic
def do_refuse(request: Request, *, ground: str, reasons: str, actor: Actor) -> Request:
    """Refuse with a ground and reasons; the answer tells of the right to complain (Art. 12(4))."""
    if ground not in RefusalGround.values:
        raise RequestError(
            gettext("%(ground)r is not a ground for refusal: use one of %(grounds)s")
            % {"ground": ground, "grounds": ", ".join(RefusalGround.values)}
        )
    reasons = (reasons or "").strip()
    if not reasons:
        raise RequestError(gettext("a refusal needs its reasons: the person is told them (Art. 12(4))"))
    _refuse_card_numbers(reasons=reasons)
    if ground == RefusalGround.NOT_JUSTIFIED and request.kind != Kind.ERASURE:
        raise RequestError(gettext("'not_justified' is a ground for refusing an erasure only"))
    request.refusal_ground = ground
    request.answer = reasons
    transition(request, Status.REFUSED, actor=actor, note=reasons, payload={"ground": ground})
    notify(
        request,
        "rights/email/refused",
        to=request.email,
        context=_mail_context(
            request,
            ground=RefusalGround(ground),
            reasons=reasons,
            authority=authority_words(request.language),
            invite_contact_first=clock.terms().policy.rights.invite_contact_first,
        ),
    )
    return request


@transaction.atomic
def do_withdraw_request(request: Request, *, actor: Actor, note: str = "") -> Request:
    """The person no longer wants the request handled."""
    transition(request, Status.WITHDRAWN, actor=actor, note=note)
    return request


@transaction.atomic
def do_lapse_unverified(*, older_than: dt.timedelta = LINK_VALIDITY * 4, actor: Actor) -> int:
    """Close requests whose identity was asked for long ago and never confirmed; returns how many."""
    limit = timezone.localdate() - older_than
    stale = Request.objects.filter(
        status=Status.AWAITING_IDENTITY, pauses__ended_on__isnull=True, pauses__started_on__lt=limit
    ).distinct()
    count = 0
    for request in stale:
        transition(request, Status.LAPSED, actor=actor, note="identity never confirmed")
        count += 1
    return count
