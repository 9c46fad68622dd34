"""Generic operations over the data map: collect, erase and find one person's data.

Nothing here names a table. Every model with a data map whose ``subject_path`` ends at a
Person or an Organisation is reached through that path (and through its direct foreign keys
to an Organisation, for records about no person in particular); history copies are reached
with their records; journal payloads through the records they are about.

A person's own data: the Person row and every record whose path reaches it. Organisation data:
the organisations the person holds a role in, and every record reaching those. Erasure treats
an organisation's data as the person's only when the organisation is private (kind=private)
and the person is its only person; otherwise only the person's own records are erased.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from django.apps import apps
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from trustdesk.journal.models import JournalEntry
from trustdesk.lib import prepared
from trustdesk.lib.datamap import Erasure, ModelMap, covers, history_base, is_empty, model_map
from trustdesk.registry.models import Organisation, Person, Role

About = Literal["person", "organisation"]

#: Journal entries are looked up in chunks of this many object ids.
_CHUNK = 500

#: The fields of a journal entry a person's data export shows.
JOURNAL_FIELDS = ("seq", "at", "action", "object_type", "object_id", "payload")


def label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def model_of(model_label: str) -> Any:
    """The model a label names (``registry.person``, as a journal entry's ``object_type``); ``None`` for a
    label that names no model (one since removed, or no label at all)."""
    try:
        return apps.get_model(model_label)
    except (LookupError, ValueError):
        return None


def _end_of(model: type[models.Model], path: str) -> type[models.Model] | None:
    """The model a ``__``-separated path of relations leads to ('' is the model itself)."""
    current: Any = model
    for part in filter(None, path.split("__")):
        field = current._meta.get_field(part)
        current = field.related_model
        if current is None:
            return None
    return current if isinstance(current, type) else None


@dataclass(frozen=True)
class Reach:
    """How the records of one model reach a person or an organisation."""

    model: type[models.Model]
    mapping: ModelMap
    history: type[models.Model] | None
    subject: About
    #: The subject path itself (for the Person and Organisation models: '' meaning the row).
    path: str
    #: Direct foreign keys to an Organisation besides the subject path.
    org_fields: tuple[str, ...]
    #: The history copies' map: the model's, plus who changed it and why.
    history_mapping: ModelMap | None = None

    @property
    def label(self) -> str:
        return label(self.model)

    def about_person(self, person: Person, model: type[models.Model] | None = None) -> QuerySet[Any]:
        target = model or self.model
        if self.subject != "person":
            return target._default_manager.none()
        if not self.path:
            return (
                target._default_manager.filter(pk=person.pk)
                if target is self.model
                else _history_of(target, [person.pk])
            )
        return target._default_manager.filter(**{self.path: person.pk})

    def about_organisations(
        self, organisations: list[int], model: type[models.Model] | None = None
    ) -> QuerySet[Any]:
        target = model or self.model
        if not organisations:
            return target._default_manager.none()
        if self.subject == "organisation":
            if not self.path:
                if target is self.model:
                    return target._default_manager.filter(pk__in=organisations)
                return _history_of(target, organisations)
            condition = Q(**{f"{self.path}__in": organisations})
            for name in self.org_fields:
                condition |= Q(**{f"{name}__in": organisations})
            return target._default_manager.filter(condition)
        # A record about a person may name only an organisation (a call with the company).
        if not self.org_fields:
            return target._default_manager.none()
        condition = Q()
        for name in self.org_fields:
            condition |= Q(**{f"{name}__in": organisations})
        return target._default_manager.filter(condition, **{f"{self.path}__isnull": True})


def _history_of(history: type[models.Model], ids: Iterable[Any]) -> QuerySet[Any]:
    return history._default_manager.filter(id__in=list(ids))


def _history_model(model: type[models.Model]) -> type[models.Model] | None:
    for candidate in apps.get_models():
        if history_base(candidate) is model:
            return candidate
    return None


@cache
def reaches() -> tuple[Reach, ...]:
    """Every model whose records are about a person or an organisation, with how they reach it."""
    found: list[Reach] = []
    for model in apps.get_models():
        if history_base(model) is not None:
            continue
        mapping = model_map(model)
        if mapping is None:
            continue
        end = _end_of(model, mapping.subject_path)
        if end is Person:
            subject: About = "person"
        elif end is Organisation:
            subject = "organisation"
        else:
            continue  # staff accounts, Django sessions, ...: about no person of the registry
        org_fields = tuple(
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.ForeignKey)
            and f.related_model is Organisation
            and f.name != mapping.subject_path
        )
        history = _history_model(model)
        history_mapping = model_map(history) if history is not None else None
        found.append(
            Reach(model, mapping, history, subject, mapping.subject_path, org_fields, history_mapping)
        )
    return tuple(found)


def organisations_of(person: Person) -> list[int]:
    """The organisations the person holds a role in."""
    return sorted(set(Role.objects.filter(person=person).values_list("organisation_id", flat=True)))


# --- collect ----------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, str | int | bool | list | dict):
        return value
    return str(value)


def declared_columns(model: type[models.Model], mapping: ModelMap) -> dict[str, str]:
    """Declared name -> column attribute (``organisation`` -> ``organisation_id``), stored fields only."""
    columns: dict[str, str] = {}
    for name in (*mapping.personal, *mapping.not_personal):
        try:
            field = model._meta.get_field(name)
        except Exception:  # noqa: S112  (declared, but not a field of this copy)
            continue
        if getattr(field, "concrete", False) and not field.many_to_many:
            columns[name] = field.attname  # type: ignore[union-attr]
    return columns


@dataclass
class Found:
    """The records of one model about a person: live and history ids, each marked person or organisation."""

    reach: Reach
    person_ids: set[Any]
    org_ids: set[Any]
    history_person_ids: set[Any]
    history_org_ids: set[Any]
    #: The record ids the history copies are copies of (records since deleted included).
    person_ids_in_history: set[Any]
    org_ids_in_history: set[Any]

    def record_ids(self, *, organisation: bool = True) -> set[Any]:
        """The ids of every record that holds or held this data: live, or only left in history."""
        ids = self.person_ids | self.person_ids_in_history
        return ids | self.org_ids | self.org_ids_in_history if organisation else ids


def find_records(person: Person, organisations: list[int]) -> list[Found]:
    """Which records (and history copies) are about the person, and which about these organisations."""
    return [found for found, _ in _gather(person, organisations)]


Rows = dict[str, list[dict[str, Any]]]


def _gather(person: Person, organisations: list[int], *, history: bool = True) -> list[tuple[Found, Rows]]:
    """For each reach: which records are about the person or the organisations, and their rows.

    A few queries per model, each reading the declared columns at once (the ids come with the
    rows): the records about the person, those about the organisations, and (unless ``history``
    is false) the history copies: of those records by their indexed ``id``, and those whose path
    reaches the person or the organisations (copies of records since deleted). Queries that cannot
    match are not run. The number of queries depends on the models, never on the number of records.
    """
    gathered: list[tuple[Found, Rows]] = []
    for reach in reaches():
        model = reach.model
        pk_name = model._meta.pk.attname
        columns = declared_columns(model, reach.mapping)
        person_rows = _live_about_person(reach, person, pk_name, columns) if reach.subject == "person" else []
        person_ids = {row[pk_name] for row in person_rows}
        org_rows = (
            [
                row
                for row in _live_about_organisations(reach, organisations, pk_name, columns)
                if row[pk_name] not in person_ids
            ]
            if _reaches_organisations(reach, organisations)
            else []
        )
        org_ids = {row[pk_name] for row in org_rows}
        rows: Rows = {}
        secret = reach.mapping.held_values
        live = _as_rows(person_rows, pk_name, columns, "person", secret) + _as_rows(
            org_rows, pk_name, columns, "organisation", secret
        )
        if live:
            rows[reach.label] = live
        history_person: set[Any] = set()
        history_org: set[Any] = set()
        in_history_person: set[Any] = set()
        in_history_org: set[Any] = set()
        history_model, history_map = reach.history, reach.history_mapping
        if history and history_model is not None and history_map is not None:
            h_pk = history_model._meta.pk.attname
            h_columns = declared_columns(history_model, history_map)
            extra = {**h_columns, "record id": "id"}  # the id of the record each copy is of
            copies: dict[Any, dict[str, Any]] = {}
            person_copies: set[Any] = set()
            if person_ids or org_ids:
                for row in _fetch(_history_of(history_model, person_ids | org_ids), h_pk, extra):
                    copies[row[h_pk]] = row
                    if row["id"] in person_ids:
                        person_copies.add(row[h_pk])
            if reach.subject == "person":
                for row in _fetch(reach.about_person(person, history_model), h_pk, extra):
                    copies[row[h_pk]] = row
                    person_copies.add(row[h_pk])
            if _reaches_organisations(reach, organisations):
                for row in _fetch(reach.about_organisations(organisations, history_model), h_pk, extra):
                    copies.setdefault(row[h_pk], row)
            ordered = [copies[key] for key in sorted(copies)]
            person_list = [row for row in ordered if row[h_pk] in person_copies]
            org_list = [row for row in ordered if row[h_pk] not in person_copies]
            history_person = {row[h_pk] for row in person_list}
            history_org = {row[h_pk] for row in org_list}
            in_history_person = {row["id"] for row in person_list}
            in_history_org = {row["id"] for row in org_list} - in_history_person
            h_secret = history_map.held_values
            kept = _as_rows(person_list, h_pk, h_columns, "person", h_secret) + _as_rows(
                org_list, h_pk, h_columns, "organisation", h_secret
            )
            if kept:
                rows[label(history_model)] = kept
        found = Found(
            reach, person_ids, org_ids, history_person, history_org, in_history_person, in_history_org
        )
        gathered.append((found, rows))
    return gathered


def _reaches_organisations(reach: Reach, organisations: list[int]) -> bool:
    """Whether ``about_organisations`` can match anything (it is empty otherwise)."""
    return bool(organisations) and (reach.subject == "organisation" or bool(reach.org_fields))


def _fetch(queryset: QuerySet[Any], pk_name: str, columns: dict[str, str]) -> list[dict[str, Any]]:
    return list(queryset.values(pk_name, *columns.values()).order_by(pk_name))


# The live records' queries are the same for every person but for the ids they are about: each is
# built and compiled once per process and database connection (``trustdesk.lib.prepared``).


def _live_about_person(
    reach: Reach, person: Person, pk_name: str, columns: dict[str, str]
) -> list[dict[str, Any]]:
    def build(ids: Sequence[int]) -> QuerySet[Any]:
        return reach.about_person(Person(pk=ids[0])).values(pk_name, *columns.values()).order_by(pk_name)

    return prepared.values_of(reach.model, (reach.label, "person"), build, [person.pk])


def _live_about_organisations(
    reach: Reach, organisations: list[int], pk_name: str, columns: dict[str, str]
) -> list[dict[str, Any]]:
    def build(ids: Sequence[int]) -> QuerySet[Any]:
        return reach.about_organisations(list(ids)).values(pk_name, *columns.values()).order_by(pk_name)

    return prepared.values_of(reach.model, (reach.label, "organisations"), build, sorted(set(organisations)))


def _as_rows(
    values: list[dict[str, Any]],
    pk_name: str,
    columns: dict[str, str],
    about: About,
    secret: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The rows as collected: JSON values, a secret that is held as what stands for it (:data:`WITHHELD`)."""
    secret = secret or {}
    return [
        {
            "pk": jsonable(row[pk_name]),
            "about": about,
            "fields": {
                name: secret[name]
                if name in secret and not is_empty(row[attname])
                else jsonable(row[attname])
                for name, attname in columns.items()
            },
        }
        for row in values
    ]


def journal_about(ids_by_label: dict[str, set[Any]]) -> QuerySet[JournalEntry]:
    """The journal entries about any of these records."""
    condition = Q()
    for model_label, ids in ids_by_label.items():
        texts = sorted(str(i) for i in ids)
        for start in range(0, len(texts), _CHUNK):
            condition |= Q(object_type=model_label, object_id__in=texts[start : start + _CHUNK])
    if not condition:
        return JournalEntry.objects.none()
    return JournalEntry.objects.filter(condition)


def live_records(person: Person) -> dict[str, list[dict[str, Any]]]:
    """The records about the person and their organisations as :func:`collect` gives them, without the
    history copies and the journal entries: what the data is now (the portal's "my data" page)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for _, rows in _gather(person, organisations_of(person), history=False):
        grouped.update(rows)
    return grouped


def collect(person: Person) -> dict[str, Any]:
    """Everything Trustdesk holds about one person, JSON-serialisable, grouped by model label.

    Each record is ``{"pk", "about": "person"|"organisation", "fields": {...}}`` with the fields
    the data map declares (personal values and the context around them). History copies appear
    under their own label (``registry.historicalperson``); journal entries about any of the
    records under ``journal.journalentry`` with their payloads (``None`` once erased).
    """
    organisations = organisations_of(person)
    gathered = _gather(person, organisations)
    found = [item for item, _ in gathered]
    grouped: dict[str, list[dict[str, Any]]] = {}
    for _, rows in gathered:
        grouped.update(rows)
    person_keys = {(item.reach.label, str(i)) for item in found for i in item.record_ids(organisation=False)}
    entries = [
        {
            **{name: jsonable(entry[name]) for name in JOURNAL_FIELDS},
            "about": "person"
            if (entry["object_type"], entry["object_id"]) in person_keys
            else "organisation",
        }
        for entry in journal_about({item.reach.label: item.record_ids() for item in found})
        .order_by("seq")
        .values(*JOURNAL_FIELDS)
    ]
    if entries:
        grouped[label(JournalEntry)] = entries
    return {
        "person": person.pk,
        "organisations": organisations,
        "collected_at": timezone.now().isoformat(),
        "records": grouped,
    }


# --- find -------------------------------------------------------------------------------------


def find(
    category: str,
    *,
    before: dt.datetime | None = None,
    after: dt.datetime | None = None,
    on: Literal["updated_at", "created_at"] = "updated_at",
) -> Iterator[tuple[str, Any, str]]:
    """``(model label, pk, field)`` for every non-empty value of the category or a category below it.

    ``before`` and ``after`` filter on the record's ``updated_at`` (or ``created_at`` with
    ``on="created_at"``; ``created_at`` where a model has no ``updated_at``): ``before`` is
    exclusive, ``after`` inclusive. Models with neither field are not filtered by date.
    """
    for model in apps.get_models(include_auto_created=True):
        mapping = model_map(model)
        if mapping is None:
            continue
        names = [name for name, declared in mapping.personal.items() if covers(category, declared.category)]
        if not names:
            continue
        queryset = model._default_manager.all()
        stamp = _stamp(model, on)
        if stamp is not None:
            if before is not None:
                queryset = queryset.filter(**{f"{stamp}__lt": before})
            if after is not None:
                queryset = queryset.filter(**{f"{stamp}__gte": after})
        model_label = label(model)
        for name in names:
            field = model._meta.get_field(name)
            if field.many_to_many or not getattr(field, "concrete", False):
                continue
            holding = queryset.exclude(**{f"{name}__isnull": True})
            if isinstance(field, models.CharField | models.TextField):
                holding = holding.exclude(**{name: ""})
            for pk in holding.order_by("pk").values_list("pk", flat=True).iterator():
                yield model_label, pk, name


def _stamp(model: type[models.Model], on: str) -> str | None:
    names = {f.name for f in model._meta.concrete_fields}
    for candidate in (on, "updated_at", "created_at"):
        if candidate in names:
            return candidate
    return None


# --- erase ------------------------------------------------------------------------------------

#: The action of the journal entry an erasure writes (its payload holds counts only).
ERASED_ACTION = "registry.person.erased"

#: Where a record keeps the day a retention period runs from, by the policy's start event.
#: Where two fields are given the later one is used; an event not listed has no obvious date.
_START_FIELDS: dict[str, tuple[str, ...]] = {
    "end_of_fiscal_year_of_invoice": ("fiscal_year_end",),
    "certificate_expiry": ("certificate_expires_on",),
    "end_of_service": ("ends_on",),
    "collection": ("created_at", "updated_at"),
    "case_closed": ("closed_at",),
}


@dataclass(frozen=True)
class Held:
    """A value kept under a legal hold: which, and until when."""

    model: str
    pk: Any
    field: str
    purpose: str
    until: dt.date | None
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "pk": jsonable(self.pk),
            "field": self.field,
            "purpose": self.purpose,
            "until": self.until.isoformat() if self.until else None,
            "note": self.note,
        }


@dataclass
class ErasureReport:
    person: int
    #: model label -> {"deleted": rows, "cleared": values, "pseudonymised": values, "held": values}
    counts: dict[str, dict[str, int]]
    held: list[Held]
    organisations_erased: list[int]
    #: organisation id -> why its data was kept
    organisations_kept: dict[int, str]
    journal_payloads_erased: int
    journal_seq: int

    def total(self, what: str) -> int:
        return sum(counts.get(what, 0) for counts in self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "person": self.person,
            "counts": self.counts,
            "held": [h.as_dict() for h in self.held],
            "organisations_erased": self.organisations_erased,
            "organisations_kept": {str(k): v for k, v in self.organisations_kept.items()},
            "journal_payloads_erased": self.journal_payloads_erased,
            "journal_seq": self.journal_seq,
        }


class ErasureError(Exception):
    """The erasure cannot be done as the data map says; nothing was changed."""


def _empty(field: models.Field[Any, Any]) -> Any:
    if field.null:
        return None
    if isinstance(field, models.CharField | models.TextField):
        return ""
    if isinstance(field, models.JSONField):
        return field.get_default()
    if field.has_default():
        return field.get_default()
    raise ErasureError(f"{field.model._meta.label_lower}.{field.name} can be neither emptied nor nulled")


class _Holds:
    """Until when a legal hold keeps a value: the policy in effect, or the dates the caller gives."""

    def __init__(self, given: dict[str, dt.date] | None) -> None:
        from trustdesk.policy.queries import version_in_effect

        self.given = dict(given or {})
        version = version_in_effect()
        self.policy = version.loaded.policy if version is not None else None
        self.today = timezone.localdate()

    def purpose(self, hold: str) -> str:
        """The policy's purpose that keeps values under this hold, or the hold's own name without one."""
        found = self.policy.legal_hold(hold) if self.policy is not None else None
        return found[0] if found is not None else hold

    def until(self, hold: str, row: models.Model) -> tuple[dt.date | None, str]:
        purpose = self.purpose(hold)
        if purpose in self.given or hold in self.given:
            return self.given.get(
                purpose, self.given.get(hold)
            ), f"held for purpose '{purpose}' until the date given"
        text = f"until the end of the retention of purpose '{purpose}'"
        if self.policy is None:
            return None, f"{text}; no policy is in effect"
        declared = self.policy.purposes.get(purpose)
        if declared is None:
            return None, (
                f"until the end of a legal obligation running from {hold}; no purpose of the policy in effect "
                "rests on legal_obligation with retention from that event"
            )
        if declared.retention is None:
            return None, f"{text}, which the policy in effect gives no retention"
        period, event = declared.retention.period, declared.retention.from_.value
        names = [name for name in _START_FIELDS.get(event, ()) if hasattr(row, name)]
        days = [_day(getattr(row, name)) for name in names]
        if not names:
            return None, f"{text} ({period.iso()} from {event})"
        if any(day is None for day in days):
            return None, f"{text} ({period.iso()} from {event}, which has not come)"
        start = max(day for day in days if day is not None)
        end = period.add_to(start)
        end_day = end.date() if isinstance(end, dt.datetime) else end
        return end_day, f"{period.iso()} from {event} ({start.isoformat()}), purpose '{purpose}'"


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    return None


class _Eraser:
    def __init__(self, holds: _Holds) -> None:
        from trustdesk.lib.pseudonyms import current_key

        self.holds = holds
        self.key = current_key()
        self.counts: dict[str, dict[str, int]] = {}
        self.held: list[Held] = []

    def count(self, model_label: str, what: str, n: int = 1) -> None:
        bucket = self.counts.setdefault(model_label, {})
        bucket[what] = bucket.get(what, 0) + n

    def plan(self, row: models.Model, mapping: ModelMap) -> tuple[bool, dict[str, Any]]:
        """(delete the row?, the new values of the fields to change) for one record, per the map.

        A row whose map deletes it goes unless one of its values is held; then the row stays with
        the held values and everything else emptied.
        """
        from trustdesk.lib.pseudonyms import fit, guess_kind, is_pseudonym, pseudonymise

        model_label = label(type(row))
        changes: dict[str, Any] = {}
        done: dict[str, int] = {}
        held: list[Held] = []
        delete = False
        #: The fields of a row to delete, emptied only should a hold keep the row.
        with_row: list[Any] = []
        for name, declared in mapping.personal.items():
            field = type(row)._meta.get_field(name)
            if field.many_to_many or not getattr(field, "concrete", False):
                continue
            attname = field.attname  # type: ignore[union-attr]
            value = getattr(row, attname)
            action = declared.erasure
            if action is Erasure.DELETE_ROW:
                delete = True
                action = Erasure.CLEAR  # should a hold keep the row
            if is_empty(value):
                continue
            if action is Erasure.HOLD:
                until, note = self.holds.until(declared.hold, row)
                if until is None or until >= self.holds.today:
                    held.append(
                        Held(model_label, row.pk, name, self.holds.purpose(declared.hold), until, note)
                    )
                    continue
                action = Erasure.CLEAR  # the hold has ended: the value goes
            if action is Erasure.PSEUDONYMISE and isinstance(value, str):
                if is_pseudonym(value):
                    continue
                kind = guess_kind(value, declared.category)
                pseudonym = fit(
                    pseudonymise(value, kind=kind, key=self.key), getattr(field, "max_length", None)
                )
                if pseudonym is not None:
                    changes[attname] = pseudonym
                    done["pseudonymised"] = done.get("pseudonymised", 0) + 1
                    continue
            if declared.erasure is Erasure.DELETE_ROW:
                with_row.append((field, attname, value))
                continue
            empty = _empty(field)  # type: ignore[arg-type]
            if value != empty:
                changes[attname] = empty
                done["cleared"] = done.get("cleared", 0) + 1
        if held:
            self.held.extend(held)
            self.count(model_label, "held", len(held))
        if delete and not held:
            return True, {}
        for field, attname, value in with_row:
            empty = _empty(field)
            if value != empty:
                changes[attname] = empty
                done["cleared"] = done.get("cleared", 0) + 1
        for what, n in done.items():
            self.count(model_label, what, n)
        return False, changes


def copies_deleted_with(reach: Reach) -> bool:
    """Whether deleting one of the reach's records deletes its history copies too: the history map holds
    a field whose erasure deletes the row, as the record's own map does. Such a deletion is marked
    ``_no_deletion_copy`` (:class:`trustdesk.registry.models.RegistryHistory`): its copy would be
    written only to be deleted in the same transaction."""
    history_map = reach.history_mapping
    return history_map is not None and any(
        declared.erasure is Erasure.DELETE_ROW for declared in history_map.personal.values()
    )


def erase(
    person: Person,
    *,
    actor: Any,
    holds: dict[str, dt.date] | None = None,
) -> ErasureReport:
    """Erase or pseudonymise one person's data per each field's erasure action, in one transaction.

    ``actor`` is a :class:`trustdesk.registry.services.Actor` or a journal actor reference.
    ``holds`` gives, per purpose key, the day a legal hold ends, instead of the day computed from the
    policy in effect (the record's date plus the purpose's retention period). A held value whose hold
    has ended is cleared. Journal payloads about the erased records are erased too; the journal gets
    one ``registry.person.erased`` entry with counts only.
    """
    from django.db import transaction

    from trustdesk.journal.services import erase_payloads, record
    from trustdesk.registry.services import Actor

    who = actor if isinstance(actor, Actor) else Actor(ref=str(actor))
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        linked = organisations_of(person)
        erasable: list[int] = []
        kept: dict[int, str] = {}
        for org in Organisation.objects.filter(pk__in=linked).order_by("pk"):
            others = Role.objects.filter(organisation=org).exclude(person=person).exists()
            if org.kind != Organisation.Kind.PRIVATE:
                kept[org.pk] = "a company: only the person's own records are erased"
            elif others:
                kept[org.pk] = "other people hold a role in it: only the person's own records are erased"
            else:
                erasable.append(org.pk)
        found = find_records(person, erasable)
        eraser = _Eraser(_Holds(holds))
        ids_by_label = {item.reach.label: item.record_ids() for item in found}

        # 1. Records whose map deletes the row go first (their history copies are handled next).
        updates: list[tuple[models.Model, dict[str, Any]]] = []
        deleted: dict[str, set[Any]] = {}
        for item in found:
            reach = item.reach
            for row in reach.model._default_manager.filter(pk__in=item.person_ids | item.org_ids).order_by(
                "pk"
            ):
                delete, changes = eraser.plan(row, reach.mapping)
                if delete:
                    pk = row.pk
                    # Its history copies are deleted next, so its deletion writes none (the same values
                    # as the row's, so the same plan: deleted).
                    row._no_deletion_copy = copies_deleted_with(reach)  # type: ignore[attr-defined]
                    row.delete()
                    deleted.setdefault(reach.label, set()).add(pk)
                    eraser.count(reach.label, "deleted")
                elif changes:
                    updates.append((row, changes))

        # 2. History copies: the same treatment (they are models with the same map).
        for item in found:
            reach = item.reach
            if reach.history is None:
                continue
            history_map = reach.history_mapping
            if history_map is None:
                continue
            manager = reach.history._default_manager
            copies = manager.filter(
                Q(pk__in=item.history_person_ids | item.history_org_ids)
                | Q(id__in=deleted.get(reach.label, set()))
            ).order_by("pk")
            for copy in copies:
                delete, changes = eraser.plan(copy, history_map)
                if delete:
                    manager.filter(pk=copy.pk).delete()
                    eraser.count(label(reach.history), "deleted")
                elif changes:
                    manager.filter(pk=copy.pk).update(**changes)

        # 3. The live records, saved so that each keeps a history copy of its erased state.
        for row, changes in updates:
            for attname, value in changes.items():
                setattr(row, attname, value)
            row._history_user = who.user  # type: ignore[attr-defined]
            row._history_actor = who.ref  # type: ignore[attr-defined]
            row._change_reason = "erased"  # type: ignore[attr-defined]
            row.save()

        # 4. Journal payloads about the records, except earlier erasure entries (counts only).
        entries = list(
            journal_about(ids_by_label)
            .filter(payload__isnull=False)
            .exclude(action=ERASED_ACTION)
            .only("seq")
            .order_by("seq")
        )
        erased_seqs = erase_payloads(entries, actor=who.ref) if entries else []

        report = ErasureReport(
            person=person.pk,
            counts=eraser.counts,
            held=eraser.held,
            organisations_erased=erasable,
            organisations_kept=kept,
            journal_payloads_erased=len(erased_seqs),
            journal_seq=0,
        )
        entry = record(
            ERASED_ACTION,
            actor=who.ref,
            object_type=label(Person),
            object_id=str(person.pk),
            payload={
                "counts": eraser.counts,
                "held": len(eraser.held),
                "organisations_erased": len(erasable),
                "journal_payloads_erased": len(erased_seqs),
            },
        )
        report.journal_seq = entry.seq
    return report
