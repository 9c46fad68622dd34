"""Reading consent: where each consent of a person stands, whether it is given, and its history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery

from trustdesk.consent.models import ConsentEvent, CookieChoice, Kind, State
from trustdesk.registry.models import Person


@dataclass(frozen=True)
class ConsentState:
    """A person's consent to one purpose: its state, since when, under which version and text."""

    purpose: str
    state: State
    since: dt.datetime | None = None
    policy_version: int | None = None
    text: str = ""
    text_sha256: str = ""
    event_id: int | None = None

    @property
    def given(self) -> bool:
        return self.state == State.GIVEN

    @classmethod
    def of(cls, event: ConsentEvent) -> ConsentState:
        return cls(
            purpose=event.purpose,
            state=State.GIVEN if event.kind == Kind.GIVEN else State.WITHDRAWN,
            since=event.at,
            policy_version=event.policy_version.number,
            text=event.text,
            text_sha256=event.text_sha256,
            event_id=event.pk,
        )


def latest_event(person: Person, purpose: str) -> ConsentEvent | None:
    return ConsentEvent.objects.filter(person=person, purpose=purpose).order_by("-at", "-id").first()


def current_consents(person: Person) -> dict[str, ConsentState]:
    """Every purpose on consent of the policy in effect (``never`` where nothing was recorded),
    plus every purpose the person has events for, by purpose key in order."""
    from trustdesk.consent.services import consent_purposes
    from trustdesk.policy.queries import version_in_effect

    states: dict[str, ConsentState] = {}
    for event in (
        ConsentEvent.objects.filter(person=person).select_related("policy_version").order_by("at", "id")
    ):
        states[event.purpose] = ConsentState.of(event)  # later events replace earlier ones
    version = version_in_effect()
    if version is not None:
        for key in consent_purposes(version):
            states.setdefault(key, ConsentState(purpose=key, state=State.NEVER))
    return dict(sorted(states.items()))


def has_consent(person: Person, purpose: str) -> bool:
    """Whether the person's latest event for the purpose gives consent (withdrawal counts at once)."""
    latest = latest_event(person, purpose)
    return latest is not None and latest.kind == Kind.GIVEN


def consent_history(person: Person, purpose: str | None = None) -> list[ConsentEvent]:
    """The person's consent events, oldest first; of one purpose when it is named."""
    events = ConsentEvent.objects.filter(person=person).select_related("policy_version")
    if purpose is not None:
        events = events.filter(purpose=purpose)
    return list(events.order_by("at", "id"))


def people_with_consent(purpose: str) -> QuerySet[Person]:
    """The people whose consent to the purpose stands now: whom a newsletter may go to (P2.5)."""
    latest_kind = Subquery(
        ConsentEvent.objects.filter(person=OuterRef("pk"), purpose=purpose)
        .order_by("-at", "-id")
        .values("kind")[:1]
    )
    return Person.objects.annotate(consent_kind=latest_kind).filter(consent_kind=Kind.GIVEN)


def latest_cookie_choice(consent_id: str) -> CookieChoice | None:
    """The latest recorded cookie choice under a consent id, or None."""
    return CookieChoice.objects.filter(consent_id=consent_id).order_by("-at", "-id").first()


def cookie_choice_history(consent_id: str) -> list[CookieChoice]:
    return list(CookieChoice.objects.filter(consent_id=consent_id).order_by("at", "id"))
