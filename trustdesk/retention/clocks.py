"""Retention clocks: for every record about a person or an organisation, until when its purposes keep it.

A record is tied to the purposes of the policy in effect through the data map: a purpose covers a
model when one of the purpose's ``data_categories`` covers (hierarchically: ``user.contact`` covers
``user.contact.email``) the category of one of the model's personal fields. Each covering purpose
with a retention gives the record a clock (a record that names a purpose in a ``purpose`` field, such
as the proof of a consent, serves that purpose too): its period from the start event's day for that record
(see ``Context.start``). The record is due once every clock has run out and every legal hold on its
fields has ended: the last one wins. A service's identifiers (its domain names) that were passed to a
recipient the policy asks to delete them (``erasure_request``) are also kept until that request is
opened, so that it can name them (P4.2), however short their own clocks (P4.3). A covering purpose
without retention, or a record no purpose covers, keeps the record untouched; it is reported
instead. Nothing here writes; see :mod:`trustdesk.retention.sweep`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db import models
from django.db.models import F, Max
from django.utils import timezone

from trustdesk.lib.datamap import Erasure, ModelMap, through_account
from trustdesk.policy.schema import Policy, Purpose, RetentionAction, StartEvent
from trustdesk.registry.datamap_ops import _START_FIELDS, Reach, covers, reaches
from trustdesk.registry.models import Disclosure, Invoice, Organisation, Role, Service, ServiceIdentifier


class RetentionError(Exception):
    """Retention cannot run as asked; the message names what is wrong and where."""


class State(StrEnum):
    DUE = "due"  # every clock has run out: the record is treated now
    SCHEDULED = "scheduled"  # every clock runs: the record is due on a known day
    WAITING = "waiting"  # a clock has not started (the service still runs, consent not withdrawn, ...)
    UNTOUCHED = "untouched"  # a covering purpose has no retention, or no purpose covers the record


#: The strength of an action, for purposes whose clocks end on the same day.
_STRENGTH = {RetentionAction.DELETE: 3, RetentionAction.ANONYMISE: 2, RetentionAction.PSEUDONYMISE: 1}

#: Not applicable: the purpose keeps nothing of this record for that event (no invoice, no certificate).
NA = "n/a"
#: The event applies to the record but has not happened yet.
PENDING = "pending"

Start = dt.date | str  # a day, NA or PENDING


@dataclass(frozen=True)
class Clock:
    purpose: str
    event: str
    start: Start
    period: str
    ends_on: dt.date | None
    action: RetentionAction


@dataclass
class Verdict:
    model: str
    pk: Any
    state: State
    #: The day the record is treated: the day after its last clock (or hold) ends.
    due_on: dt.date | None = None
    #: The purpose whose clock (or hold) runs out last, and the action it asks for.
    purpose: str = ""
    action: RetentionAction = RetentionAction.DELETE
    reason: str = ""
    clocks: list[Clock] = field(default_factory=list)


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    return None


def purposes_covering(policy: Policy, mapping: ModelMap) -> list[tuple[str, Purpose]]:
    """The purposes one of whose categories covers a personal field's category of the model (records are
    about people of the registry: a purpose for staff alone keeps none of them)."""
    categories = {declared.category for declared in mapping.personal.values()}
    return [
        (key, purpose)
        for key, purpose in policy.registry_purposes().items()
        if any(covers(broad, category) for broad in purpose.data_categories for category in categories)
    ]


def _latest(values: list[Start]) -> Start:
    """The latest day, PENDING when one has not happened, NA when none applies."""
    if not values:
        return NA
    if PENDING in values:
        return PENDING
    days = [v for v in values if isinstance(v, dt.date)]
    return max(days) if days else NA


#: The fields whose latest value is a person's or an organisation's last activity (``last_activity``).
ACTIVITY = ("updated_at", "occurred_at", "last_login", "last_seen_at")


class Context:
    """What the start events of every record depend on, read once per run (a few queries per model)."""

    def __init__(self, policy: Policy, today: dt.date | None = None) -> None:
        self.policy = policy
        self.today = today or timezone.localdate()
        self.org_ended: dict[int, dt.date | None] = dict(Organisation.objects.values_list("pk", "ended_on"))
        self.services: dict[int, dict[str, Any]] = {
            row["pk"]: dict(row)
            for row in Service.objects.values(
                "pk", "organisation_id", "kind", "ends_on", "certificate_expires_on"
            )
        }
        self.org_services: dict[int, list[int]] = defaultdict(list)
        for pk, row in self.services.items():
            self.org_services[row["organisation_id"]].append(pk)
        domains: dict[int, set[str]] = defaultdict(set)
        for service_id, value in ServiceIdentifier.objects.filter(
            kind=ServiceIdentifier.Kind.DOMAIN
        ).values_list("service_id", "value"):
            domains[service_id].add(value.lower().rstrip("."))
        self.chain_end = self._certificate_chains(domains)
        self.org_fiscal: dict[int, dt.date] = {
            org: day
            for org, day in Invoice.objects.values("organisation_id")
            .annotate(last=Max("fiscal_year_end"))
            .values_list("organisation_id", "last")
            if day is not None
        }
        self.person_orgs: dict[int, list[int]] = defaultdict(list)
        for person_id, org_id in Role.objects.values_list("person_id", "organisation_id").distinct():
            if org_id not in self.person_orgs[person_id]:
                self.person_orgs[person_id].append(org_id)
        self.consent = self._consent()
        self.cases = self._cases()
        self.activity_person, self.activity_org = self._activity()
        self.exit_holds = self._exit_holds()

    # --- what the context reads ----------------------------------------------------------------

    def _certificate_chains(self, domains: dict[int, set[str]]) -> dict[int, Start]:
        """Per certificate service: the expiry of the latest certificate of its organisation and domains.

        A certificate renewed by a later one (the same organisation, a shared domain name) has not
        expired without renewal: its data lives on until the last certificate of the chain expires.
        """
        certificates = [
            (pk, row) for pk, row in self.services.items() if row["kind"] == Service.Kind.SSL_CERTIFICATE
        ]
        ends: dict[int, Start] = {}
        for pk, row in certificates:
            mine = domains.get(pk, set())
            chain: list[Start] = []
            for other_pk, other in certificates:
                if other["organisation_id"] != row["organisation_id"]:
                    continue
                if other_pk != pk and not (mine and mine & domains.get(other_pk, set())):
                    continue
                expiry = other["certificate_expires_on"]
                chain.append(expiry if expiry is not None else PENDING)
            end = _latest(chain)
            ends[pk] = end if not isinstance(end, dt.date) or end <= self.today else PENDING
        return ends

    def _consent(self) -> dict[tuple[int, str], tuple[str, dt.datetime]]:
        from trustdesk.consent.models import ConsentEvent

        latest: dict[tuple[int, str], tuple[str, dt.datetime]] = {}
        for person_id, purpose, kind, at in ConsentEvent.objects.order_by("at", "id").values_list(
            "person_id", "purpose", "kind", "at"
        ):
            latest[(person_id, purpose)] = (kind, at)
        return latest

    def _cases(self) -> dict[int, Start]:
        from trustdesk.rights.models import Request

        closed: dict[int, list[Start]] = defaultdict(list)
        for person_id, closed_at in Request.objects.filter(person__isnull=False).values_list(
            "person_id", "closed_at"
        ):
            day = _day(closed_at)
            closed[person_id].append(day if day is not None else PENDING)
        return {person: _latest(values) for person, values in closed.items()}

    def _activity(self) -> tuple[dict[int, dt.date], dict[int, dt.date]]:
        """The latest updated_at (or occurred_at) among each person's and organisation's records; for a
        person, also their account's last log-in and the last use of one of its sessions (:data:`ACTIVITY`):
        using the portal is activity, however long their registry records have not changed."""
        person: dict[int, dt.date] = {}
        org: dict[int, dt.date] = {}

        def note(target: dict[int, dt.date], key: Any, value: Any) -> None:
            day = _day(value)
            if key is not None and day is not None and (key not in target or target[key] < day):
                target[key] = day

        for reach in reaches():
            names = {f.name for f in reach.model._meta.concrete_fields}
            stamps = [name for name in ACTIVITY if name in names]
            if not stamps:
                continue
            paths = [(reach.path or "pk", person if reach.subject == "person" else org)]
            paths.extend((name, org) for name in reach.org_fields)
            for path, target in paths:
                manager = reach.model._default_manager
                for stamp in stamps:
                    for key, value in (
                        manager.values(path).annotate(last=Max(stamp)).values_list(path, "last").order_by()
                    ):
                        note(target, key, value)
        return person, org

    def _exit_holds(self) -> dict[int, list[str]]:
        """Per service: the recipients it was disclosed to that are to be asked to delete the data
        (``erasure_request``) and have not been asked since the disclosure."""
        from trustdesk.retention.models import RecipientErasureRequest

        asking = {key for key, recipient in self.policy.recipients.items() if recipient.erasure_request}
        if not asking:
            return {}
        asked: dict[tuple[int, str], dt.datetime] = {}
        for org, recipient, created in RecipientErasureRequest.objects.filter(
            recipient__in=asking
        ).values_list("organisation_id", "recipient", "created_at"):
            if (org, recipient) not in asked or created > asked[(org, recipient)]:
                asked[(org, recipient)] = created
        holds: dict[int, list[str]] = defaultdict(list)
        for service, org, recipient, disclosed in Disclosure.objects.filter(
            recipient__in=asking, service__isnull=False
        ).values_list("service_id", "organisation_id", "recipient", "disclosed_at"):
            last = asked.get((org, recipient))
            if (last is None or last < disclosed) and recipient not in holds[service]:
                holds[service].append(recipient)
        return {service: sorted(names) for service, names in holds.items() if names}

    # --- the start of a clock --------------------------------------------------------------------

    def _org_end_of_service(self, org: int) -> Start:
        services = self.org_services.get(org, [])
        ends: list[Start] = [self.services[pk]["ends_on"] or PENDING for pk in services]
        end = _latest(ends)
        return PENDING if isinstance(end, dt.date) and end > self.today else end

    def org_start(self, event: str, org: int) -> Start:
        if event == StartEvent.END_OF_CONTRACT:
            ended = self.org_ended.get(org)
            if ended is not None:
                return ended if ended <= self.today else PENDING
            end = self._org_end_of_service(org)
            return PENDING if end == NA else end
        if event == StartEvent.END_OF_SERVICE:
            return self._org_end_of_service(org)
        if event == StartEvent.END_OF_FISCAL_YEAR:
            return self.org_fiscal.get(org, NA)
        if event == StartEvent.CERTIFICATE_EXPIRY:
            return _latest(
                [self.chain_end[pk] for pk in self.org_services.get(org, []) if pk in self.chain_end]
            )
        if event == StartEvent.LAST_ACTIVITY:
            return self.activity_org.get(org, NA)
        return NA  # consent and cases are a person's

    def person_start(self, event: str, person: int, purpose: str) -> Start:
        if event == StartEvent.CONSENT_WITHDRAWAL:
            latest = self.consent.get((person, purpose))
            if latest is None:
                return NA
            kind, at = latest
            return PENDING if kind == "given" else (_day(at) or NA)
        if event == StartEvent.CASE_CLOSED:
            return self.cases.get(person, NA)
        if event == StartEvent.LAST_ACTIVITY:
            return self.activity_person.get(person, NA)
        return _latest([self.org_start(event, org) for org in self.person_orgs.get(person, [])])

    def service_start(self, event: str, service: int) -> Start:
        row = self.services.get(service)
        if row is None:
            return NA
        if event == StartEvent.END_OF_SERVICE:
            ends = row["ends_on"]
            return ends if ends is not None and ends <= self.today else PENDING
        if event == StartEvent.CERTIFICATE_EXPIRY:
            return self.chain_end.get(service, NA)
        return self.org_start(event, row["organisation_id"])

    def start(self, event: str, purpose: str, reach: Reach, row: dict[str, Any]) -> Start:
        """The day the event happened for this record, PENDING before it does, NA where it does not apply.

        ``row`` holds the record's concrete fields by attribute name (``organisation_id``).
        """
        if event == StartEvent.COLLECTION:
            days = [_day(row.get(name)) for name in _START_FIELDS["collection"] if name in row]
            found = [day for day in days if day is not None]
            if not found:
                for name in ("received_at", "at", "occurred_at", "disclosed_at"):
                    day = _day(row.get(name))
                    if day is not None:
                        return day
                return NA
            return max(found)
        if reach.model is Service and event in (StartEvent.END_OF_SERVICE, StartEvent.CERTIFICATE_EXPIRY):
            if event == StartEvent.CERTIFICATE_EXPIRY and row["kind"] != Service.Kind.SSL_CERTIFICATE:
                return NA
            return self.service_start(event, row[reach.model._meta.pk.attname])
        own = [name for name in _START_FIELDS.get(event, ()) if name in row]
        if own and event != StartEvent.CERTIFICATE_EXPIRY:
            days = [_day(row[name]) for name in own]
            if any(day is None for day in days):
                return PENDING
            end = max(day for day in days if day is not None)
            return end if event == StartEvent.END_OF_FISCAL_YEAR or end <= self.today else PENDING
        service = row.get("service_id")
        if service is not None:
            return self.service_start(event, service)
        subject = _subject_id(reach, row)
        if subject is None:
            org = next((row.get(f"{name}_id") for name in reach.org_fields if row.get(f"{name}_id")), None)
            return self.org_start(event, org) if org is not None else NA
        if reach.subject == "person":
            return self.person_start(event, subject, purpose)
        return self.org_start(event, subject)


#: The key of a row that holds the id of the person or organisation a record reaches through more than one
#: relation (``request__person``, ``user__profile__person``): read with the row (:func:`verdicts`).
SUBJECT = "retention_subject"


def _subject_id(reach: Reach, row: dict[str, Any]) -> int | None:
    """The id of the person or organisation the record is about: the record's own id, the column of its
    one relation to it, or, through more than one relation, the id :func:`verdicts` read with the row
    (looked up when the row was read without it)."""
    if not reach.path:
        return int(row[reach.model._meta.pk.attname])
    if "__" in reach.path:
        if SUBJECT in row:
            value = row[SUBJECT]
        else:
            pk = row[reach.model._meta.pk.attname]
            value = reach.model._default_manager.filter(pk=pk).values_list(reach.path, flat=True).first()
    else:
        value = row.get(f"{reach.path}_id")
    return int(value) if value is not None else None


def columns(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def verdict(context: Context, reach: Reach, row: dict[str, Any]) -> Verdict:
    """The record's state under the policy: due, scheduled (with its day), waiting or untouched."""
    model = reach.label
    pk = row[reach.model._meta.pk.attname]
    covering = purposes_covering(context.policy, reach.mapping)
    named = row.get("purpose")
    if isinstance(named, str) and named in context.policy.purposes and named not in dict(covering):
        # A record that names a purpose (the proof of a consent) serves that purpose as well.
        covering.append((named, context.policy.purposes[named]))
    if not covering:
        return Verdict(model, pk, State.UNTOUCHED, reason="no purpose of the policy covers its data")
    without = [key for key, purpose in covering if purpose.retention is None]
    if without:
        return Verdict(
            model, pk, State.UNTOUCHED, reason=f"purpose {', '.join(sorted(without))} sets no retention"
        )
    clocks: list[Clock] = []
    for key, purpose in covering:
        retention = purpose.retention
        if retention is None:  # refused above
            continue
        event = retention.from_.value
        start = context.start(event, key, reach, row)
        ends = _add(retention.period.add_to(start)) if isinstance(start, dt.date) else None
        clocks.append(Clock(key, event, start, retention.period.iso(), ends, retention.action))
    clocks.extend(_hold_clocks(context, reach, row))
    if reach.model is ServiceIdentifier:
        for recipient in context.exit_holds.get(row["service_id"], []):
            # Kept for the request that asks the recipient to delete them, which names them.
            clocks.append(
                Clock(
                    f"erasure request to {recipient}",
                    "erasure_request",
                    PENDING,
                    "",
                    None,
                    RetentionAction.DELETE,
                )
            )
    waiting = [c for c in clocks if c.start == PENDING]
    running = [c for c in clocks if c.ends_on is not None]
    if waiting:
        names = ", ".join(sorted({f"{c.purpose} ({c.event})" for c in waiting}))
        return Verdict(model, pk, State.WAITING, reason=f"waiting for {names}", clocks=clocks)
    if not running:
        events = ", ".join(sorted({c.event for c in clocks}))
        return Verdict(model, pk, State.WAITING, reason=f"no start event applies ({events})", clocks=clocks)
    last = max(running, key=lambda c: (c.ends_on or dt.date.min, _STRENGTH[c.action]))
    # Kept up to and including the day the last clock ends; treated from the day after.
    due_on = (last.ends_on or dt.date.min) + dt.timedelta(days=1)
    state = State.DUE if due_on <= context.today else State.SCHEDULED
    return Verdict(model, pk, state, due_on, last.purpose, last.action, clocks=clocks)


def _add(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _hold_clocks(context: Context, reach: Reach, row: dict[str, Any]) -> Iterator[Clock]:
    """Legal holds on the record's fields (an invoice's billing name for the accounting period)."""
    holds = {
        declared.hold
        for name, declared in reach.mapping.personal.items()
        if declared.erasure is Erasure.HOLD and _filled(row, reach.model, name)
    }
    for hold in sorted(holds):
        found = context.policy.legal_hold(hold)
        retention = found[1].retention if found is not None else None
        if found is None or retention is None:
            # No purpose on a legal obligation says until when: the value is kept, never guessed.
            yield Clock(f"legal hold {hold}", hold, PENDING, "", None, RetentionAction.DELETE)
            continue
        key = found[0]
        start = context.start(retention.from_.value, key, reach, row)
        ends = _add(retention.period.add_to(start)) if isinstance(start, dt.date) else None
        yield Clock(key, retention.from_.value, start, retention.period.iso(), ends, RetentionAction.DELETE)


def _filled(row: dict[str, Any], model: type[models.Model], name: str) -> bool:
    field_ = model._meta.get_field(name)
    value = row.get(getattr(field_, "attname", name))
    return value not in (None, "", [], {})


def personal_reaches() -> list[Reach]:
    """The models about people or organisations that hold personal fields."""
    return [reach for reach in reaches() if reach.mapping.personal]


def verdicts(
    context: Context, reach: Reach, pks: list[Any] | None = None
) -> Iterator[tuple[Verdict, dict[str, Any]]]:
    """The verdict of every record of the model (or of these records), with its row."""
    queryset = reach.model._default_manager.all()
    if through_account(reach.path):
        # A staff account belongs to no person: it and what hangs off it are not the registry's records.
        queryset = queryset.filter(**{f"{reach.path}__isnull": False})
    if pks is not None:
        queryset = queryset.filter(pk__in=pks)
    names = columns(reach.model)
    if "__" in reach.path:
        queryset = queryset.annotate(**{SUBJECT: F(reach.path)})
        names = [*names, SUBJECT]
    for row in queryset.order_by("pk").values(*names).iterator(chunk_size=2000):
        yield verdict(context, reach, row), row
