"""The retention sweep: the plan of what is due, and the run that carries it out in batches.

The plan (``make_plan``) reads every record about a person or an organisation, gives it its
verdict (:mod:`trustdesk.retention.clocks`) and, for a record that is due or scheduled, the outcome
its treatment would have on its current values: ``deleted`` (the row goes), ``pseudonymised``
(identifiers replaced by keyed pseudonyms, the rest cleared) or ``anonymised`` (every personal
value cleared, the row kept). A record with nothing left to change (treated before) counts for
nothing: running twice does nothing the second time.

The run (``run``) treats the due records in batches, each batch in its own transaction that also
writes its journal entry (counts only): a run killed at any moment leaves every batch either done
or not started, and the next run picks up what is still due. A person whose every record is due
for deletion is erased whole by :func:`trustdesk.registry.datamap_ops.erase` (which also clears
the journal payloads about them); other records are treated each by its own action and a model at a
time within a batch (a few queries per batch and model, not per record), their history copies and the
journal payloads about them with them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, router, transaction
from django.db.models.deletion import Collector

from trustdesk.lib.datamap import Erasure, ModelMap, is_empty
from trustdesk.lib.pseudonyms import Key, current_key, fit, guess_kind, is_pseudonym, pseudonymise
from trustdesk.policy.schema import Policy, RetentionAction
from trustdesk.registry.datamap_ops import (
    ERASED_ACTION,
    ErasureError,
    Reach,
    _empty,
    copies_deleted_with,
    erase,
    find_records,
    journal_about,
)
from trustdesk.registry.models import Organisation, Person, Role
from trustdesk.registry.services import Actor
from trustdesk.retention.clocks import (
    SUBJECT,
    Context,
    RetentionError,
    State,
    Verdict,
    personal_reaches,
    verdicts,
)

DELETED = "deleted"
PSEUDONYMISED = "pseudonymised"
ANONYMISED = "anonymised"
OUTCOMES = (DELETED, PSEUDONYMISED, ANONYMISED)

#: Journal actions of the sweep; their payloads hold counts, purposes and model names only.
BATCH_ACTION = "retention.batch.done"
RUN_ACTION = "retention.run.finished"

#: History copies deleted per query (SQLite allows 999 parameters in older builds).
_DELETE_CHUNK = 500


def policy_in_effect() -> Policy:
    from trustdesk.policy.queries import version_in_effect

    version = version_in_effect()
    if version is None:
        raise RetentionError(
            "no policy is in effect: publish one with 'trustdesk policy publish' before retention can run"
        )
    return version.loaded.policy


# --- what a treatment changes --------------------------------------------------------------------


def changes_for(
    row: models.Model, mapping: ModelMap, action: RetentionAction, key: Key
) -> tuple[bool, dict[str, Any]]:
    """(delete the row?, the new values by attribute name) for one record under the policy's action.

    ``delete``: each field's erasure action from the data map (a delete_row field deletes the row,
    pseudonymise sets the keyed pseudonym, clear and an ended hold empty the value);
    ``pseudonymise``: every text value replaced by its keyed pseudonym, other values emptied, the
    row kept; ``anonymise``: every personal value emptied (pseudonyms too), the row kept. A row that cannot
    be without a value its map deletes it for (a session's IP address) is deleted under any action.
    """
    delete = False
    changes: dict[str, Any] = {}
    model = type(row)
    for name, declared in mapping.personal.items():
        django_field = model._meta.get_field(name)
        if django_field.many_to_many or not getattr(django_field, "concrete", False):
            continue
        attname = django_field.attname  # type: ignore[union-attr]
        value = getattr(row, attname)
        if action is RetentionAction.DELETE and declared.erasure is Erasure.DELETE_ROW:
            delete = True
            continue
        if is_empty(value):
            continue
        pseudonym_wanted = _holds_text(django_field) and (
            action is RetentionAction.PSEUDONYMISE
            or (action is RetentionAction.DELETE and declared.erasure is Erasure.PSEUDONYMISE)
        )
        if pseudonym_wanted:
            if is_pseudonym(value):
                continue
            made = fit(
                pseudonymise(value, kind=guess_kind(value, declared.category), key=key),
                getattr(django_field, "max_length", None),
            )
            if made is not None:
                changes[attname] = made
                continue
        try:
            empty = _empty(django_field)  # type: ignore[arg-type]
        except ErasureError:
            if declared.erasure is not Erasure.DELETE_ROW:
                raise
            delete = True  # a value the row cannot be without (a session's IP address): the row goes
            continue
        if value != empty:
            changes[attname] = empty
    return delete, changes


def _holds_text(field: Any) -> bool:
    """Whether a pseudonym can stand in the field's place: a text column (an IP address column cannot
    hold one)."""
    return isinstance(field, models.CharField | models.TextField)


def outcome(delete: bool, changes: dict[str, Any]) -> str | None:
    if delete:
        return DELETED
    if not changes:
        return None
    return PSEUDONYMISED if any(is_pseudonym(v) for v in changes.values()) else ANONYMISED


# --- the plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One record that is due (or will be): which model, why, and what its treatment does."""

    reach: Reach
    pk: Any
    due_on: dt.date
    purpose: str
    action: RetentionAction
    outcome: str
    person: int | None  # the Person row's id, for a person's own row


@dataclass
class Plan:
    today: dt.date
    until: dt.date
    due: list[Item] = field(default_factory=list)
    scheduled: list[Item] = field(default_factory=list)
    #: model label -> reason -> records
    untouched: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    waiting: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def counts(self, items: Iterable[Item]) -> dict[str, dict[str, dict[str, int]]]:
        """purpose -> model -> outcome -> records."""
        found: dict[str, dict[str, dict[str, int]]] = {}
        for item in items:
            bucket = found.setdefault(item.purpose, {}).setdefault(item.reach.label, {})
            bucket[item.outcome] = bucket.get(item.outcome, 0) + 1
        return found

    def as_dict(self) -> dict[str, Any]:
        by_day: dict[dt.date, list[Item]] = defaultdict(list)
        for item in self.scheduled:
            by_day[item.due_on].append(item)
        return {
            "today": self.today.isoformat(),
            "until": self.until.isoformat(),
            "now": self.counts(self.due),
            "coming": [{"on": day.isoformat(), "counts": self.counts(by_day[day])} for day in sorted(by_day)],
            "untouched": {model: dict(reasons) for model, reasons in sorted(self.untouched.items())},
            "waiting": {model: dict(reasons) for model, reasons in sorted(self.waiting.items())},
        }


def _item(reach: Reach, found: Verdict, row: dict[str, Any], key: Key) -> Item | None:
    instance = reach.model(**{name: value for name, value in row.items() if name != SUBJECT})
    delete, changes = changes_for(instance, reach.mapping, found.action, key)
    result = outcome(delete, changes)
    if result is None:
        return None  # nothing left to change: treated before
    if found.due_on is None:
        return None
    person = found.pk if reach.model is Person else None
    return Item(reach, found.pk, found.due_on, found.purpose, found.action, result, person)


def make_plan(
    *, until: dt.date | None = None, today: dt.date | None = None, policy: Policy | None = None
) -> Plan:
    """What is due now, what becomes due up to ``until`` (a year ahead by default), and what is never touched."""
    context = Context(policy or policy_in_effect(), today)
    plan = Plan(context.today, until or context.today + dt.timedelta(days=366))
    key = current_key()
    for reach in personal_reaches():
        for found, row in verdicts(context, reach):
            if found.state is State.UNTOUCHED:
                plan.untouched[reach.label][found.reason] += 1
            elif found.state is State.WAITING:
                plan.waiting[reach.label][found.reason] += 1
            elif found.state is State.DUE or (found.due_on is not None and found.due_on <= plan.until):
                item = _item(reach, found, row, key)
                if item is not None:
                    (plan.due if found.state is State.DUE else plan.scheduled).append(item)
    return plan


# --- the run -------------------------------------------------------------------------------------


@dataclass
class RunReport:
    run: str
    dry_run: bool
    #: purpose -> model -> outcome -> records
    counts: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    people_erased: int = 0
    batches: int = 0
    journal_payloads_erased: int = 0
    untouched: dict[str, dict[str, int]] = field(default_factory=dict)
    weblogs: Any = None
    exits: dict[str, int] = field(default_factory=dict)

    def add(self, item: Item) -> None:
        bucket = self.counts.setdefault(item.purpose, {}).setdefault(item.reach.label, {})
        bucket[item.outcome] = bucket.get(item.outcome, 0) + 1

    def total(self) -> int:
        return sum(n for models_ in self.counts.values() for outs in models_.values() for n in outs.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "dry_run": self.dry_run,
            "counts": self.counts,
            "records": self.total(),
            "people_erased": self.people_erased,
            "batches": self.batches,
            "journal_payloads_erased": self.journal_payloads_erased,
            "untouched": self.untouched,
            "customer_exit": self.exits,
            "weblogs": self.weblogs,
        }


def _erasable_orgs(person_id: int) -> list[int]:
    """The organisations ``erase`` treats as the person's: private, with no one else in them."""
    linked = set(Role.objects.filter(person_id=person_id).values_list("organisation_id", flat=True))
    erasable = []
    for org in Organisation.objects.filter(pk__in=linked).order_by("pk"):
        if (
            org.kind == Organisation.Kind.PRIVATE
            and not Role.objects.filter(organisation=org).exclude(person_id=person_id).exists()
        ):
            erasable.append(org.pk)
    return erasable


def _whole_people(plan: Plan) -> dict[int, list[Item]]:
    """People whose every record ``erase`` would touch is due for deletion or has nothing left, with their items."""
    due = {(item.reach.label, item.pk): item for item in plan.due}
    whole: dict[int, list[Item]] = {}
    for item in plan.due:
        if item.person is None or item.action is not RetentionAction.DELETE:
            continue
        person = Person.objects.get(pk=item.person)
        records: list[Item] = []
        ok = True
        for found in find_records(person, _erasable_orgs(person.pk)):
            for pk in sorted(found.person_ids | found.org_ids):
                mine = due.get((found.reach.label, pk))
                if mine is not None and mine.action is RetentionAction.DELETE:
                    records.append(mine)
                elif mine is not None or not _nothing_left(found.reach, pk):
                    ok = False
                    break
            if not ok:
                break
        if ok:
            whole[person.pk] = records
    return whole


def _nothing_left(reach: Reach, pk: Any) -> bool:
    row = reach.model._default_manager.filter(pk=pk).first()
    if row is None:
        return True
    delete, changes = changes_for(row, reach.mapping, RetentionAction.DELETE, current_key())
    return not delete and not changes


def _treat(batch: list[Item], key: Key, actor: Actor) -> list[tuple[Item, str]]:
    """Treat a batch's records and their history copies, a model at a time; each record treated with its
    outcome. A record already gone, or with nothing left to change, is left out.

    Per model: one query reads (and locks) the records; the records to delete go in one deletion, which
    still sends Django's signals for each; one query reads the history copies of every record treated, and
    the copies to delete go in one deletion. A deleted record whose copies the history map deletes too gets
    no copy of its deletion (``_no_deletion_copy``, :class:`trustdesk.registry.models.RegistryHistory`):
    it would be written only to be deleted a moment later; the batch's journal entry records the run.
    The end state is that of treating each record by itself."""
    treated: list[tuple[Item, str]] = []
    groups: dict[int, list[Item]] = {}
    for item in batch:
        groups.setdefault(id(item.reach), []).append(item)
    for items in groups.values():
        reach = items[0].reach
        manager = reach.model._default_manager
        rows = manager.select_for_update().in_bulk([item.pk for item in items])
        copies_go = copies_deleted_with(reach)
        doomed: list[models.Model] = []
        for item in items:
            row = rows.pop(item.pk, None)  # popped: a record listed twice is treated once
            if row is None:
                continue
            delete, changes = changes_for(row, reach.mapping, item.action, key)
            result = outcome(delete, changes)
            if result is None:
                continue
            if delete:
                if copies_go:
                    row._no_deletion_copy = True  # type: ignore[attr-defined]
                else:  # its copy of the deletion stays: who deleted it, and why
                    row._history_user = actor.user  # type: ignore[attr-defined]
                    row._history_actor = actor.ref  # type: ignore[attr-defined]
                    row._change_reason = "retention"  # type: ignore[attr-defined]
                doomed.append(row)
            else:
                # An update, not a save: the sweep's own change is no activity of the person (last_activity).
                manager.filter(pk=item.pk).update(**changes)
            treated.append((item, result))
        if doomed:
            collector = Collector(using=router.db_for_write(reach.model))
            collector.collect(doomed)
            collector.delete()
        _treat_copies(reach, [item for item, _ in treated if item.reach is reach], key)
    return treated


def _treat_copies(reach: Reach, items: list[Item], key: Key) -> None:
    """The history copies of these treated records, each under its record's action."""
    history, history_map = reach.history, reach.history_mapping
    if history is None or history_map is None or not items:
        return
    actions = {item.pk: item.action for item in items}
    manager = history._default_manager
    doomed: list[Any] = []
    for copy in manager.filter(id__in=list(actions)).order_by("pk"):
        copy_delete, copy_changes = changes_for(copy, history_map, actions[copy.id], key)  # type: ignore[attr-defined]
        if copy_delete:
            doomed.append(copy.pk)
        elif copy_changes:
            manager.filter(pk=copy.pk).update(**copy_changes)
    for start in range(0, len(doomed), _DELETE_CHUNK):
        manager.filter(pk__in=doomed[start : start + _DELETE_CHUNK]).delete()


def _batches(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def run(
    *,
    actor: Actor,
    batch_size: int = 500,
    dry_run: bool = False,
    today: dt.date | None = None,
    beat: Callable[[], None] | None = None,
) -> RunReport:
    """Treat everything due now, ``batch_size`` records per transaction; see the module's text."""
    from trustdesk.journal.services import erase_payloads, record

    if batch_size < 1:
        raise RetentionError(f"the batch size must be at least 1, not {batch_size}")
    report = RunReport(run=uuid.uuid4().hex[:12], dry_run=dry_run)
    plan = make_plan(today=today)
    report.untouched = {model: dict(reasons) for model, reasons in plan.untouched.items()}
    if dry_run:
        for item in plan.due:
            report.add(item)
        report.people_erased = len(_whole_people(plan))
        return report
    key = current_key()
    whole = _whole_people(plan)
    in_whole = {(item.reach.label, item.pk) for items in whole.values() for item in items}

    # 1. People erased whole, a batch of people at a time.
    for people in _batches(sorted(whole), max(1, batch_size // 20)):
        with transaction.atomic():
            done = 0
            for person_id in people:
                person = Person.objects.filter(pk=person_id).first()
                if person is None or _nothing_left(_person_reach(), person_id):
                    continue
                erased_person = erase(person, actor=actor)
                report.journal_payloads_erased += erased_person.journal_payloads_erased
                for item in whole[person_id]:
                    report.add(item)
                done += 1
            report.people_erased += done
            record(
                BATCH_ACTION,
                actor=actor.ref,
                object_type="retention.run",
                object_id=report.run,
                payload={"people_erased": done},
            )
        report.batches += 1
        if beat is not None:
            beat()

    # 2. Every other due record, each under its own action.
    rest = [item for item in plan.due if (item.reach.label, item.pk) not in in_whole]
    for batch in _batches(rest, batch_size):
        with transaction.atomic():
            counts: dict[str, dict[str, dict[str, int]]] = {}
            treated: dict[str, set[Any]] = defaultdict(set)
            for item, result in _treat(batch, key, actor):
                treated[item.reach.label].add(item.pk)
                done_item = Item(
                    item.reach, item.pk, item.due_on, item.purpose, item.action, result, item.person
                )
                report.add(done_item)
                bucket = counts.setdefault(item.purpose, {}).setdefault(item.reach.label, {})
                bucket[result] = bucket.get(result, 0) + 1
            erased: list[int] = []
            if treated:
                entries = (
                    journal_about(dict(treated)).filter(payload__isnull=False).exclude(action=ERASED_ACTION)
                )
                erased = erase_payloads(entries, actor=actor.ref)
            report.journal_payloads_erased += len(erased)
            record(
                BATCH_ACTION,
                actor=actor.ref,
                object_type="retention.run",
                object_id=report.run,
                payload={"counts": counts, "journal_payloads_erased": len(erased)},
            )
        report.batches += 1
        if beat is not None:
            beat()

    with transaction.atomic():
        record(
            RUN_ACTION,
            actor=actor.ref,
            object_type="retention.run",
            object_id=report.run,
            payload={
                "counts": report.counts,
                "people_erased": report.people_erased,
                "batches": report.batches,
                "journal_payloads_erased": report.journal_payloads_erased,
                "untouched": report.untouched,
            },
        )
    return report


def _person_reach() -> Reach:
    return next(reach for reach in personal_reaches() if reach.model is Person)
