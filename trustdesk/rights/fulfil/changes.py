"""Rectification (Art. 16), restriction (Art. 18), objection (Art. 21) and consent withdrawal (Art. 7(3))."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from trustdesk.lib import mail
from trustdesk.lib.datamap import model_map
from trustdesk.policy.schema import LegalBasis, Policy
from trustdesk.registry import datamap_ops
from trustdesk.registry.models import Disclosure, Person, Role
from trustdesk.registry.services import Actor, IntakeError, do_update
from trustdesk.rights import clock
from trustdesk.rights.fulfil.common import _close
from trustdesk.rights.models import (
    Objection,
    Request,
    Restriction,
    Status,
)
from trustdesk.rights.processing import is_marketing
from trustdesk.rights.services import (
    RequestError,
    _mail_context,
    note_event,
    notify,
)


def recipients_of(person: Person, fields: list[str], policy: Policy, lang: str) -> list[str]:
    """Art. 19: who received these fields: the policy's recipients of purposes using their categories, and
    every recipient a disclosure about the person's organisations was recorded to."""
    mapping = model_map(Person)
    categories = [mapping.personal[f].category for f in fields if mapping and f in mapping.personal]
    keys: set[str] = set()
    for purpose in policy.purposes.values():
        if any(
            datamap_ops.covers(c, cat) or datamap_ops.covers(cat, c)
            for c in purpose.data_categories
            for cat in categories
        ):
            keys.update(purpose.recipients)
    organisations = Role.objects.filter(person=person).values_list("organisation_id", flat=True)
    keys.update(
        Disclosure.objects.filter(organisation_id__in=list(organisations)).values_list("recipient", flat=True)
    )
    return sorted(policy.recipients[k].display_name(lang) if k in policy.recipients else k for k in keys)


def fulfil_rectification(request: Request, *, actor: Actor) -> Request:
    """Art. 16: the changes asked for, through the registry's services (old values kept, P0.7); Art. 19 recipients listed."""
    if request.person is None:
        raise RequestError(
            gettext("request %(reference)s is about nobody on record: choose the person first")
            % {"reference": request.reference}
        )
    changes = request.specifics.get("changes")
    if not isinstance(changes, dict) or not changes:
        raise RequestError(
            gettext("request %(reference)s names no changes: record them as specifics.changes")
            % {"reference": request.reference}
        )
    mapping = model_map(Person)
    allowed = set(mapping.personal) if mapping else set()
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise RequestError(
            gettext("these are not personal fields of a person: %(fields)s") % {"fields": ", ".join(unknown)}
        )
    try:
        do_update(
            request.person,
            {k: str(v) for k, v in changes.items()},
            actor=actor,
            reason=f"rectified: request {request.reference}",
        )
    except IntakeError as exc:
        raise RequestError(
            gettext("the changes were refused: %(problems)s")
            % {"problems": "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.message_dict.items())}
        ) from None
    policy = clock.terms().policy
    told = recipients_of(request.person, list(changes), policy, request.language)
    note_event(request, "recipients_to_notify", actor=actor, payload={"recipients": told})
    return _close(
        request,
        actor=actor,
        answer="Your data was corrected.",
        payload={"fields": sorted(changes)},
        message="rights/email/rectified",
        context={"fields": sorted(changes), "recipients": told},
    )


def fulfil_restriction(request: Request, *, actor: Actor) -> Request:
    """Art. 18: from now on every purpose but storage refuses the person's data (``may_process``)."""
    if request.person is None:
        raise RequestError(
            gettext("request %(reference)s is about nobody on record: choose the person first")
            % {"reference": request.reference}
        )
    Restriction.objects.create(
        person=request.person, request=request, since=timezone.now(), reason=request.details
    )
    return _close(request, actor=actor, answer="The processing of your data is restricted: we only store it.")


@transaction.atomic
def do_announce_lift(restriction: Restriction, *, actor: Actor, reason: str) -> Restriction:
    """Art. 18(3): tell the person before the restriction is lifted."""
    if restriction.lifted_at is not None:
        raise RequestError(gettext("this restriction was lifted already"))
    restriction.lift_notice_at = timezone.now()
    restriction.save(update_fields=["lift_notice_at"])
    person = restriction.person
    if restriction.request is not None:
        note_event(restriction.request, "restriction_lift_announced", actor=actor, note=reason)
    if person.email and restriction.request is not None:
        notify(
            restriction.request,
            "rights/email/restriction_lifting",
            to=person.email,
            context={"reason": reason, "request": restriction.request, **_mail_context(restriction.request)},
        )
    elif person.email:
        mail.send(
            "rights/email/restriction_lifting",
            to=person.email,
            lang="en",
            context={"reason": reason, "request": None},
        )
    return restriction


@transaction.atomic
def do_lift_restriction(restriction: Restriction, *, actor: Actor) -> Restriction:
    """Lift a restriction, only after the person was told (``do_announce_lift``)."""
    if restriction.lift_notice_at is None:
        raise RequestError(gettext("tell the person first (Art. 18(3)): announce the lifting, then lift it"))
    restriction.lifted_at = timezone.now()
    restriction.lifted_by = actor.ref
    restriction.save(update_fields=["lifted_at", "lifted_by"])
    from trustdesk.journal.services import record

    record(
        "rights.restriction.lifted",
        actor=actor.ref,
        object_type="rights.restriction",
        object_id=str(restriction.pk),
    )
    return restriction


def fulfil_objection(request: Request, *, actor: Actor) -> Request:
    """Art. 21: to direct marketing, upheld at once and absolutely; to a purpose on legitimate interest or
    public task, recorded for a staff decision (``do_decide_objection``); to other bases, not applicable."""
    if request.person is None:
        raise RequestError(
            gettext("request %(reference)s is about nobody on record: choose the person first")
            % {"reference": request.reference}
        )
    policy = clock.terms().policy
    purposes = [str(p) for p in request.specifics.get("purposes", [])] or [Objection.DIRECT_MARKETING]
    unknown = [p for p in purposes if p != Objection.DIRECT_MARKETING and p not in policy.purposes]
    if unknown:
        raise RequestError(
            gettext("the policy in effect has no purpose %(purposes)s")
            % {"purposes": ", ".join(repr(p) for p in unknown)}
        )
    pending = 0
    outcome: list[dict[str, str]] = []
    for key in purposes:
        existing = Objection.objects.filter(person=request.person, purpose=key).first()
        if existing is not None and existing.decision == Objection.Decision.UPHELD:
            outcome.append({"purpose": key, "decision": "upheld"})
            continue
        declared = policy.purposes.get(key)
        objection = existing or Objection(person=request.person, request=request, purpose=key)
        if key == Objection.DIRECT_MARKETING or (declared is not None and is_marketing(declared)):
            objection.decision = Objection.Decision.UPHELD
            objection.reasons = "direct marketing stops at once (Art. 21(3))"
            objection.decided_at = timezone.now()
            objection.decided_by = actor.ref
        elif declared is not None and {LegalBasis.LEGITIMATE_INTERESTS, LegalBasis.PUBLIC_TASK} & set(
            declared.legal_basis
        ):
            objection.decision = Objection.Decision.PENDING
            pending += 1
        else:
            objection.decision = Objection.Decision.REJECTED
            objection.reasons = (
                "this purpose does not rest on legitimate interest or a public task (Art. 21(1))"
            )
            objection.decided_at = timezone.now()
            objection.decided_by = actor.ref
        objection.request = request
        objection.save()
        outcome.append({"purpose": key, "decision": objection.decision})
    if pending:
        note_event(request, "objection_recorded", actor=actor, payload={"outcome": outcome})
        return request
    return _close_objection(request, actor=actor)


def _close_objection(request: Request, *, actor: Actor) -> Request:
    objections = list(Objection.objects.filter(request=request).order_by("pk"))
    return _close(
        request,
        actor=actor,
        answer="Your objection was decided.",
        payload={"outcome": [{"purpose": o.purpose, "decision": o.decision} for o in objections]},
        message="rights/email/objection_decided",
        context={"objections": objections},
    )


@transaction.atomic
def do_decide_objection(objection: Objection, *, upheld: bool, reasons: str, actor: Actor) -> Objection:
    """A staff decision on an objection to processing on legitimate interest, with reasons (Art. 21(1))."""
    reasons = (reasons or "").strip()
    if not reasons:
        raise RequestError(gettext("a decision on an objection needs its reasons"))
    if objection.decision != Objection.Decision.PENDING:
        raise RequestError(gettext("this objection was decided already"))
    objection.decision = Objection.Decision.UPHELD if upheld else Objection.Decision.REJECTED
    objection.reasons = reasons
    objection.decided_at = timezone.now()
    objection.decided_by = actor.ref
    objection.save()
    request = objection.request
    if request is not None:
        note_event(
            request,
            "objection_decided",
            actor=actor,
            note=reasons,
            payload={"purpose": objection.purpose, "decision": objection.decision},
        )
        if not Objection.objects.filter(request=request, decision=Objection.Decision.PENDING).exists():
            request.refresh_from_db()
            if request.status == Status.IN_PROGRESS:
                _close_objection(request, actor=actor)
    return objection


#: A request's channel as the consent record's channel and method.
_CONSENT_WAYS = {
    "portal": ("portal", "portal"),
    "public_form": ("website", "form"),
    "letter": ("letter", "letter"),
    "phone": ("phone", "phone"),
    "email": ("email", "email"),
    "in_person": ("in_person", "in_person"),
    "api": ("api", "api"),
    "command": ("email", "email"),
}


def fulfil_consent_withdrawal(request: Request, *, actor: Actor) -> Request:
    """Art. 7(3): withdraw the consents named (all the person gave when none is named)."""
    if request.person is None:
        raise RequestError(
            gettext("request %(reference)s is about nobody on record: choose the person first")
            % {"reference": request.reference}
        )
    from trustdesk.consent.queries import current_consents
    from trustdesk.consent.services import do_withdraw_consent

    # Where the withdrawal came in, in the consent record's words.
    channel, method = _CONSENT_WAYS.get(request.channel, ("email", "email"))
    given = [key for key, state in current_consents(request.person).items() if state.given]
    named = [str(p) for p in request.specifics.get("purposes", [])] or given
    withdrawn = []
    for key in named:
        if key in given:
            do_withdraw_consent(
                request.person,
                key,
                actor=actor,
                channel=channel,
                method=method,
                evidence=request.reference,
            )
            withdrawn.append(key)
    return _close(
        request,
        actor=actor,
        answer="Your consent was withdrawn."
        if withdrawn
        else "You had not given consent for what you named.",
        payload={"withdrawn": withdrawn},
    )
