"""Giving and withdrawing consent. Each is atomic and writes its journal entry in the same transaction.

Both take the same arguments (the person, the purpose, who records it, the channel and the
method), so that withdrawing is exactly as easy as giving (P3.4, Art. 7(3)). Both are
idempotent: giving a consent that stands for the same text, or withdrawing one that is not
given, writes nothing and says so in the result.

The journal's core holds references only (``consent.consentevent`` and the event's id); the
person, the purpose and the digest of the text go in the payload, which erasure clears.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from trustdesk.consent.models import ConsentEvent, Kind, Method, State
from trustdesk.consent.queries import latest_event
from trustdesk.journal.services import record
from trustdesk.policy.models import PolicyVersion
from trustdesk.policy.queries import version_in_effect
from trustdesk.policy.schema import LegalBasis, Purpose
from trustdesk.registry.models import Channel, Person
from trustdesk.registry.services import Actor

#: The journal actions.
GIVEN = "consent.given"
WITHDRAWN = "consent.withdrawn"
#: The journal object type of consent events.
OBJECT_TYPE = "consent.consentevent"

_EVIDENCE_MAX = ConsentEvent._meta.get_field("evidence").max_length or 300
_RECORDER_MAX = ConsentEvent._meta.get_field("recorded_by").max_length or 100
_LANG_MAX = ConsentEvent._meta.get_field("lang").max_length or 10


class ConsentError(ValueError):
    """A consent that cannot be recorded as asked; the message names what is wrong, never personal data."""


@dataclass(frozen=True)
class ConsentResult:
    """What a give or withdraw did.

    ``changed`` is False when nothing was recorded because the state already was what was asked;
    ``event`` is then the event that made it so (None when consent was never given), and ``note``
    says why in words.
    """

    purpose: str
    state: State
    changed: bool
    event: ConsentEvent | None
    note: str


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def consent_purposes(version: PolicyVersion) -> dict[str, Purpose]:
    """The purposes of a policy version whose legal basis includes consent."""
    return {
        key: purpose
        for key, purpose in version.loaded.policy.purposes.items()
        if LegalBasis.CONSENT in purpose.legal_basis
    }


def consent_purpose(purpose: str) -> tuple[PolicyVersion, Purpose]:
    """The policy version in effect and its purpose ``purpose``, which must rest on consent."""
    version = version_in_effect()
    if version is None:
        raise ConsentError(f"no policy is in effect, so consent to purpose '{purpose}' cannot be recorded")
    declared = version.loaded.policy.purposes.get(purpose)
    if declared is None:
        known = ", ".join(sorted(consent_purposes(version))) or "none"
        raise ConsentError(
            f"the policy in effect (version {version.number}) has no purpose '{purpose}'; "
            f"purposes on consent: {known}"
        )
    if LegalBasis.CONSENT not in declared.legal_basis:
        bases = ", ".join(basis.value for basis in declared.legal_basis)
        raise ConsentError(
            f"purpose '{purpose}' rests on {bases}, not on consent (policy version {version.number}): "
            "it takes no consent"
        )
    return version, declared


def _check(actor: Actor, channel: str, method: str, evidence: str, lang: str = "en") -> None:
    if len(actor.ref) > _RECORDER_MAX:
        raise ConsentError(f"the actor reference is longer than {_RECORDER_MAX} characters")
    if not 0 < len(lang) <= _LANG_MAX:
        raise ConsentError(f"the language code must have 1 to {_LANG_MAX} characters, such as en or nl")
    if channel not in Channel.values:
        raise ConsentError(f"channel {channel[:30]!r} is not one of {', '.join(Channel.values)}")
    if method not in Method.values:
        raise ConsentError(f"method {method[:30]!r} is not one of {', '.join(Method.values)}")
    if len(evidence) > _EVIDENCE_MAX:
        raise ConsentError(f"the evidence reference is longer than {_EVIDENCE_MAX} characters")


def _ip_pseudonym(ip: str | None) -> str:
    if not ip:
        return ""
    from trustdesk.lib.pseudonyms import pseudonymise

    try:
        return pseudonymise(ip, kind="ip")
    except ValueError:
        raise ConsentError("the IP address given is not an IPv4 or IPv6 address") from None


def _text_for(purpose: str, declared: Purpose, lang: str) -> tuple[str, str]:
    texts = declared.consent.text if declared.consent is not None else None
    if texts is None:
        raise ConsentError(
            f"purpose '{purpose}' has no consent.text in the policy in effect: "
            "pass the text the person was shown"
        )
    used = lang if lang in texts.languages() else next(iter(texts.root))
    return texts.get(used), used


def _lock(person: Person) -> Person:
    # One give or withdraw at a time per person, so that two requests at once record one event.
    return Person.objects.select_for_update().get(pk=person.pk)


def _append(
    person: Person,
    purpose: str,
    kind: Kind,
    *,
    version: PolicyVersion,
    text: str,
    lang: str,
    actor: Actor,
    channel: str,
    method: str,
    evidence: str,
    ip_pseudonym: str,
) -> ConsentEvent:
    event = ConsentEvent.objects.create(
        person=person,
        purpose=purpose,
        kind=kind,
        at=timezone.now(),
        policy_version=version,
        text=text,
        text_sha256=text_sha256(text),
        lang=lang,
        channel=channel,
        method=method,
        recorded_by=actor.ref,
        evidence=evidence,
        ip_pseudonym=ip_pseudonym,
    )
    record(
        GIVEN if kind == Kind.GIVEN else WITHDRAWN,
        actor=actor.ref,
        object_type=OBJECT_TYPE,
        object_id=str(event.pk),
        payload={
            "person": person.pk,
            "purpose": purpose,
            "policy_version": version.number,
            "text_sha256": event.text_sha256,
            "lang": lang,
            "channel": channel,
            "method": method,
            "evidence": evidence,
        },
    )
    return event


@transaction.atomic
def do_give_consent(
    person: Person,
    purpose: str,
    *,
    actor: Actor,
    channel: str,
    method: str,
    text: str | None = None,
    lang: str | None = None,
    evidence: str = "",
    ip: str | None = None,
) -> ConsentResult:
    """Record that the person consents to a purpose of the policy in effect.

    The text is the one the person was shown: ``text`` when the caller gives it, otherwise the
    purpose's ``consent.text`` in ``lang`` (the person's language when not given; the policy's
    first language when it has no text in that one). ``ip``, when given, is kept only as a keyed
    pseudonym. When consent already stands for the same text nothing is recorded; a different
    text (a new wording in a new policy version) is a new consent and is recorded.
    """
    version, declared = consent_purpose(purpose)
    language = lang or person.language or "en"
    _check(actor, channel, method, evidence, language)
    if text is not None:
        if not text.strip():
            raise ConsentError(f"the consent text for purpose '{purpose}' is empty")
        shown, used = text, language
    else:
        shown, used = _text_for(purpose, declared, language)
    pseudonym = _ip_pseudonym(ip)
    person = _lock(person)
    latest = latest_event(person, purpose)
    if latest is not None and latest.kind == Kind.GIVEN and latest.text_sha256 == text_sha256(shown):
        return ConsentResult(
            purpose,
            State.GIVEN,
            False,
            latest,
            f"consent to '{purpose}' was already given on {latest.at.isoformat(timespec='seconds')} "
            "for the same text: nothing recorded",
        )
    event = _append(
        person,
        purpose,
        Kind.GIVEN,
        version=version,
        text=shown,
        lang=used,
        actor=actor,
        channel=channel,
        method=method,
        evidence=evidence,
        ip_pseudonym=pseudonym,
    )
    return ConsentResult(purpose, State.GIVEN, True, event, f"consent to '{purpose}' given")


@transaction.atomic
def do_withdraw_consent(
    person: Person,
    purpose: str,
    *,
    actor: Actor,
    channel: str,
    method: str,
    evidence: str = "",
    ip: str | None = None,
) -> ConsentResult:
    """Record that the person withdraws consent to a purpose; effective at once.

    The event keeps the text that was agreed to (and its digest), so it names what was
    withdrawn. A consent given under an earlier policy can be withdrawn even when the policy in
    effect no longer has its purpose. Withdrawing a consent that is not given records nothing.
    """
    _check(actor, channel, method, evidence)
    pseudonym = _ip_pseudonym(ip)
    person = _lock(person)
    latest = latest_event(person, purpose)
    if latest is None or latest.kind != Kind.GIVEN:
        consent_purpose(purpose)  # an unknown purpose, or one not on consent, is an error all the same
        if latest is None:
            return ConsentResult(
                purpose, State.NEVER, False, None, f"consent to '{purpose}' was never given: nothing recorded"
            )
        return ConsentResult(
            purpose,
            State.WITHDRAWN,
            False,
            latest,
            f"consent to '{purpose}' was already withdrawn on {latest.at.isoformat(timespec='seconds')}: "
            "nothing recorded",
        )
    version = version_in_effect() or latest.policy_version
    event = _append(
        person,
        purpose,
        Kind.WITHDRAWN,
        version=version,
        text=latest.text,
        lang=latest.lang,
        actor=actor,
        channel=channel,
        method=method,
        evidence=evidence,
        ip_pseudonym=pseudonym,
    )
    return ConsentResult(purpose, State.WITHDRAWN, True, event, f"consent to '{purpose}' withdrawn")


__all__ = [
    "ConsentError",
    "ConsentResult",
    "consent_purpose",
    "consent_purposes",
    "do_give_consent",
    "do_withdraw_consent",
    "text_sha256",
]
