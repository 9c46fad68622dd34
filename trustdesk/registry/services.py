"""State changes of the registry. Each one is atomic and writes its journal entry in the same transaction.

The journal's core holds references only (model and primary key); the personal values
that changed go in the entry's payload, which erasure can clear. History copies
(django-simple-history) keep the old values of every change (P0.7).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from trustdesk.journal.bulk import insert_new
from trustdesk.journal.services import EntrySpec, record, record_many
from trustdesk.lib.datamap import is_empty, model_map
from trustdesk.registry.models import (
    Disclosure,
    Interaction,
    Invoice,
    InvoiceLine,
    Organisation,
    Person,
    RegistryModel,
    Role,
    Service,
    ServiceIdentifier,
    UsageRecord,
)

M = TypeVar("M", bound=RegistryModel)


class IntakeError(ValidationError):
    """Data refused on intake; ``message_dict`` names each field and why, never echoing personal values."""


class BatchRefused(IntakeError):
    """``do_bulk_create`` refused a whole batch because of one row; ``index`` says which (from 0)."""

    def __init__(self, index: int, error: IntakeError) -> None:
        super().__init__(error.message_dict)
        self.index = index


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a reference for the journal's core, and the user for history copies."""

    ref: str
    user: Any = None

    @classmethod
    def operator(cls, name: str) -> Actor:
        return cls(ref=f"operator:{name}")

    @classmethod
    def system(cls) -> Actor:
        return cls(ref="system")

    @classmethod
    def command_line(cls) -> Actor:
        """The operator running a ``trustdesk`` command: their user name on this machine, reduced to letters,
        digits and ``_.-`` (at most 80), or ``unknown`` when the system names none."""
        import getpass

        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
        return cls.operator(re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80] or "unknown")


#: The reasons the services give a history copy when the caller gives none: each only repeats the copy's
#: type (+ created, ~ changed), so pages leave them out.
PLAIN_REASONS = {"+": "created", "~": "updated"}


def _label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _personal_changes(
    instance: models.Model, before: Mapping[str, Any], personal: set[str] | None = None
) -> dict[str, list[Any]]:
    if personal is None:
        personal = _personal_names(type(instance))
    changes = {}
    for name in sorted(personal):
        old, new = before.get(name), getattr(instance, name, None)
        if old != new and not (is_empty(old) and is_empty(new)):  # None to "" on creation tells nothing
            changes[name] = [_jsonable(old), _jsonable(new)]
    return changes


def _personal_names(model: type[models.Model]) -> set[str]:
    mapping = model_map(model)
    return set(mapping.personal) if mapping else set()


_AS_IS = (str, int, float, bool, list, dict)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, _AS_IS):
        return value
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    return str(value)


def _values(instance: models.Model) -> dict[str, Any]:
    return {f.name: getattr(instance, f.name, None) for f in instance._meta.concrete_fields}


def required_categories(purpose_key: str) -> list[str]:
    """The categories the policy in effect makes mandatory for a purpose (P2.3)."""
    from trustdesk.policy.queries import version_in_effect
    from trustdesk.policy.schema import is_key

    version = version_in_effect()
    if version is None:
        raise IntakeError({"purpose": "no policy is in effect, so no purpose can be named"})
    purpose = version.loaded.policy.purposes.get(purpose_key)
    if purpose is None and not is_key(purpose_key):
        # Not repeated: it can be anything a caller sent, of any length.
        raise IntakeError(
            {
                "purpose": "a purpose is named by its key in the policy: lower-case letters, digits and underscores"
            }
        )
    if purpose is None:
        raise IntakeError({"purpose": f"the policy in effect has no purpose '{purpose_key}'"})
    return list(purpose.required_categories)


def check_required(instance: models.Model, purpose_key: str) -> None:
    """Refuse a record that lacks a category its purpose requires; names the fields that would hold it."""
    mapping = model_map(type(instance))
    if mapping is None:
        return
    errors: dict[str, str] = {}
    for category in required_categories(purpose_key):
        fields = [
            name
            for name, declared in mapping.personal.items()
            if declared.category == category or declared.category.startswith(category + ".")
        ]
        if not fields:
            continue  # this kind of record does not hold that category; another record of the intake does
        if not any(getattr(instance, name, None) not in (None, "") for name in fields):
            errors[fields[0]] = f"purpose '{purpose_key}' requires {category}: provide {' or '.join(fields)}"
    if errors:
        raise IntakeError(errors)


def _save(
    instance: M,
    *,
    actor: Actor,
    verb: str,
    before: Mapping[str, Any] | None,
    purpose: str | None,
    reason: str,
) -> M:
    if purpose:
        check_required(instance, purpose)
    instance._history_user = actor.user  # type: ignore[attr-defined]
    instance._history_actor = actor.ref  # type: ignore[attr-defined]
    instance._change_reason = reason  # type: ignore[attr-defined]
    try:
        instance.save()
    except ValidationError as exc:
        raise IntakeError(
            exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        ) from None
    payload = _personal_changes(instance, before or {})
    record(
        f"{_label(type(instance))}.{verb}",
        actor=actor.ref,
        object_type=_label(type(instance)),
        object_id=str(instance.pk),
        payload={"changed": payload} if payload else None,
    )
    return instance


@transaction.atomic
def do_create(model: type[M], data: Mapping[str, Any], *, actor: Actor, purpose: str | None = None) -> M:
    """Create a registry record from field values."""
    instance = model(**data)
    return _save(
        instance, actor=actor, verb="created", before=None, purpose=purpose, reason=PLAIN_REASONS["+"]
    )


@transaction.atomic
def do_bulk_create(
    model: type[M],
    rows: Sequence[Mapping[str, Any]],
    *,
    actor: Actor,
    purpose: str | None = None,
) -> list[M]:
    """Create many records of one model at once, with what ``do_create`` writes for each.

    Every row is checked first, as ``do_create`` checks it (the purpose's required categories,
    then the model's ``clean()``); one bad row refuses the whole batch with :class:`BatchRefused`
    naming its index, before anything is written, so that a caller can write the rows one at a
    time to isolate it. Then the rows and their history copies are inserted in bulk, and their
    journal entries appended with one ``record_many``, with the actions and payloads of
    ``do_create``. The records come back in the order of ``rows``, with their primary keys.
    """
    instances = [model(**row) for row in rows]
    for index, instance in enumerate(instances):
        try:
            if purpose:
                check_required(instance, purpose)
            instance.clean()
        except IntakeError as exc:
            raise BatchRefused(index, exc) from None
        except ValidationError as exc:
            error = IntakeError(exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages})
            raise BatchRefused(index, error) from None
    if not instances:
        return []
    insert_new(model, instances)
    if any(instance.pk is None for instance in instances):
        raise IntakeError({"__all__": "the records were inserted without their primary keys"})
    made = instances
    history = getattr(model, "history", None)
    if history is not None:
        history_model = history.model
        now = timezone.now()
        tracked = [field.attname for field in history_model.tracked_fields]
        related = hasattr(history_model, "history_relation")
        copies = []
        for instance in instances:
            # The history copy the post_save signal of simple_history writes for a created record.
            copy = history_model(
                history_date=now,
                history_user=actor.user,
                history_actor=actor.ref,
                history_change_reason=PLAIN_REASONS["+"],
                history_type="+",
                **{name: getattr(instance, name) for name in tracked},
            )
            if related:
                copy.history_relation_id = instance.pk
            copies.append(copy)
        insert_new(history_model, copies)
    model_label = _label(model)
    personal = _personal_names(model)
    specs = []
    for instance in made:
        payload = _personal_changes(instance, {}, personal)
        specs.append(
            EntrySpec(
                f"{model_label}.created",
                object_type=model_label,
                object_id=str(instance.pk),
                payload={"changed": payload} if payload else None,
            )
        )
    record_many(specs, actor=actor.ref)
    return made


@transaction.atomic
def do_update(
    instance: M, changes: Mapping[str, Any], *, actor: Actor, reason: str = PLAIN_REASONS["~"]
) -> M:
    """Change fields of a record; the old values stay in its history copies (P0.7)."""
    before = _values(instance)
    for name, value in changes.items():
        setattr(instance, name, value)
    if _values(instance) == before:
        return instance
    return _save(instance, actor=actor, verb="updated", before=before, purpose=None, reason=reason[:100])


@transaction.atomic
def do_upsert(
    model: type[M], external_ref: str, data: Mapping[str, Any], *, actor: Actor, purpose: str | None = None
) -> tuple[M, bool]:
    """Create or update by the billing system's reference; returns (record, created)."""
    existing = model._default_manager.select_for_update().filter(external_ref=external_ref).first()
    if existing is None:
        return do_create(model, {**data, "external_ref": external_ref}, actor=actor, purpose=purpose), True
    return do_update(existing, data, actor=actor, reason="updated by import"), False


@transaction.atomic
def do_link_person(organisation: Organisation, person: Person, kind: str, *, actor: Actor) -> Role:
    role, created = Role.objects.get_or_create(organisation=organisation, person=person, kind=kind)
    if created:
        record(
            "registry.role.created",
            actor=actor.ref,
            object_type="registry.role",
            object_id=str(role.pk),
            payload=None,
        )
    return role


@transaction.atomic
def do_create_invoice(
    data: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], *, actor: Actor
) -> Invoice:
    invoice = do_create(Invoice, data, actor=actor)
    for line in lines:
        InvoiceLine.objects.create(invoice=invoice, **line)
    return invoice


@transaction.atomic
def do_record_disclosure(
    organisation: Organisation,
    recipient: str,
    categories: list[str],
    *,
    actor: Actor,
    service: Service | None = None,
    at: dt.datetime | None = None,
) -> Disclosure:
    """Record that personal data went to a recipient of the policy (a registry's WHOIS: P0.5, P4.1)."""
    from django.utils import timezone

    from trustdesk.policy.queries import version_in_effect

    version = version_in_effect()
    policy = version.loaded.policy if version else None
    if policy is None or recipient not in policy.recipients:
        raise IntakeError({"recipient": f"'{recipient}' is not a recipient of the policy in effect"})
    if not categories:
        raise IntakeError({"categories": "say which data categories were passed on"})
    # A recipient gets only the data of the purposes that name it (P0.5, P2.7): a payment gateway the
    # purchase data it needs to complete a transaction, a registry the registrant's data.
    outside = policy.not_passed_to(recipient, categories)
    if outside:
        raise IntakeError(
            {
                "categories": (
                    f"no purpose of the policy in effect passes {', '.join(outside)} to '{recipient}': "
                    "a recipient gets only the data of the purposes that name it"
                )
            }
        )
    public = policy.recipients[recipient].public_disclosure is not None
    return do_create(
        Disclosure,
        {
            "organisation": organisation,
            "service": service,
            "recipient": recipient,
            "categories": categories,
            "public": public,
            "disclosed_at": at or timezone.now(),
            "source_kind": "organisation",
        },
        actor=actor,
    )


__all__ = [
    "Actor",
    "BatchRefused",
    "IntakeError",
    "Interaction",
    "ServiceIdentifier",
    "UsageRecord",
    "check_required",
    "do_bulk_create",
    "do_create",
    "do_create_invoice",
    "do_link_person",
    "do_record_disclosure",
    "do_update",
    "do_upsert",
    "required_categories",
]


#: A member of staff looked at a record's page in the console (``registry.person.viewed``): who and when,
#: for those who oversee the staff, and in the person's access report. A second look by the same member
#: within ``VIEW_QUIET`` of their last one is not journaled again.
VIEWED = "viewed"
VIEW_QUIET = dt.timedelta(minutes=15)


#: A member of staff saw the record in a list: a search's results in the console, a list's page in the admin
#: (what its columns show, not its page): ``registry.person.listed``. Not journaled again within
#: ``VIEW_QUIET`` of their last look at it.
LISTED = "listed"


def viewed_action(model: type[models.Model]) -> str:
    return f"{_label(model)}.{VIEWED}"


def listed_action(model: type[models.Model]) -> str:
    return f"{_label(model)}.{LISTED}"


@functools.cache
def look_actions() -> frozenset[str]:
    """The journal's actions of a look at any record about a person or an organisation (every model the data
    map reaches: the registry's, requests, accounts, consents...), its page or a list: what the dashboard,
    a member's list of looks and a record's "Looked at by staff" count."""
    from trustdesk.registry.datamap_ops import reaches

    return frozenset(f"{_label(reach.model)}.{verb}" for reach in reaches() for verb in (VIEWED, LISTED))


def _look_payload(role: str | None) -> dict[str, Any] | None:
    # The role the member of staff looked in, for the purpose the access report gives (Art. 15: the person
    # may know when and why their data was consulted, not by whom). No personal data.
    return {"role": role} if role else None


def do_note_listing(instances: Sequence[models.Model], *, actor: Actor, role: str | None = None) -> int:
    """Journal that ``actor`` saw these records in a list of results: one entry per record (its payload the
    ``role`` they looked in), left out for a record they saw listed or opened within ``VIEW_QUIET``.
    Returns how many were journaled.

    The search's words are not journaled: they are personal data (a name, an address) about someone the
    journal could not tie them to, so no erasure would find them."""
    from trustdesk.journal.models import JournalEntry

    if not instances:
        return 0
    keys = {(_label(type(instance)), str(instance.pk)) for instance in instances}
    actions = {f"{label}.{verb}" for label, _ in keys for verb in (VIEWED, LISTED)}
    with transaction.atomic():
        recent = JournalEntry.objects.filter(
            actor=actor.ref,
            action__in=actions,
            object_id__in={key for _, key in keys},
            at__gte=timezone.now() - VIEW_QUIET,
        )
        seen = set(recent.values_list("object_type", "object_id"))
        specs, done = [], set()
        for instance in instances:
            label, key = _label(type(instance)), str(instance.pk)
            if (label, key) in seen or (label, key) in done:
                continue
            done.add((label, key))
            specs.append(
                EntrySpec(
                    listed_action(type(instance)),
                    object_type=label,
                    object_id=key,
                    payload=_look_payload(role),
                )
            )
        record_many(specs, actor=actor.ref)
    return len(specs)


def do_note_view(instance: models.Model, *, actor: Actor, role: str | None = None) -> bool:
    """Journal that ``actor`` looked at the record (who, what and when are the entry's core; its payload the
    ``role`` they looked in); ``False`` when they had looked at it within ``VIEW_QUIET`` already."""
    from trustdesk.journal.models import JournalEntry

    label, key = _label(type(instance)), str(instance.pk)
    with transaction.atomic():
        recent = JournalEntry.objects.filter(
            object_type=label,
            object_id=key,
            action=viewed_action(type(instance)),
            actor=actor.ref,
            at__gte=timezone.now() - VIEW_QUIET,
        )
        if recent.exists():
            return False
        record(
            viewed_action(type(instance)),
            actor=actor.ref,
            object_type=label,
            object_id=key,
            payload=_look_payload(role),
        )
    return True
