"""Importing organisations, people, services and invoices from a billing system's CSV or JSON export.

Each record is upserted by its external reference through the registry's services, so that every
change writes its journal entry and its history copy, and a record that did not change writes
nothing. The file is read twice, streamed: first to check its structure (encoding, columns,
duplicate references) so that a broken file is refused before anything is written, then to import
it in batches of rows, one transaction per batch. A batch's new records are created together
(``do_bulk_create``: the rows, their history copies and their journal entries in bulk); when one
of them is refused, and for every other change, each record gets its own savepoint, so that a bad
row is rejected whole while the good ones stay. The columns are documented in ``docs/import.md``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from trustdesk.registry import imports_fields as conv
from trustdesk.registry.imports_read import CsvSource, FileRefused, Record, Source, open_source
from trustdesk.registry.models import (
    Channel,
    Invoice,
    InvoiceLine,
    Organisation,
    Person,
    RegistryModel,
    Role,
    Service,
    ServiceIdentifier,
    SourceKind,
)
from trustdesk.registry.services import (
    Actor,
    IntakeError,
    check_required,
    do_bulk_create,
    do_create,
    do_create_invoice,
    do_link_person,
    do_update,
    required_categories,
)

PROVENANCE = ("source_kind", "source_name", "channel")
LINE_COLUMNS = ("line_description", "line_quantity", "line_unit_price", "line_service_ref")
LINE_KEYS = ("description", "quantity", "unit_price", "service_ref")
IDENTIFIER_COLUMNS = {
    "domains": ServiceIdentifier.Kind.DOMAIN,
    "ip_addresses": ServiceIdentifier.Kind.IP_ADDRESS,
    "ip_networks": ServiceIdentifier.Kind.IP_NETWORK,
}
_IDENTIFIER_CHECK = {"domains": conv.domain, "ip_addresses": conv.ip_address, "ip_networks": conv.ip_network}
#: Where a reason names a model field, the column that feeds it.
_COLUMN_OF = {"organisation": "organisation_ref", "__all__": ""}


@dataclass(frozen=True)
class Spec:
    """One kind of import: its model, its columns, and which of them a file must have."""

    name: str
    model: type[RegistryModel]
    required: tuple[str, ...]
    fields: tuple[str, ...]
    extra: tuple[str, ...] = ()

    def columns(self, source: Source) -> tuple[str, ...]:
        lines = (
            () if self.model is not Invoice else LINE_COLUMNS if isinstance(source, CsvSource) else ("lines",)
        )
        return ("external_ref", *self.fields, *self.extra, *lines, *PROVENANCE)


SPECS = {
    "organisations": Spec(
        "organisations",
        Organisation,
        required=("external_ref", "name"),
        fields=(
            "kind",
            "name",
            "company_number",
            "vat_number",
            "street",
            "postal_code",
            "city",
            "country",
            "email",
            "phone",
            "fax",
            "website",
            "notes",
            "status",
            "ended_on",
        ),
    ),
    "people": Spec(
        "people",
        Person,
        required=("external_ref",),
        fields=(
            "kind",
            "first_name",
            "last_name",
            "email",
            "phone",
            "mobile",
            "fax",
            "street",
            "postal_code",
            "city",
            "country",
            "language",
            "job_title",
            "tags",
            "notes",
        ),
        extra=("organisation_ref", "role"),
    ),
    "services": Spec(
        "services",
        Service,
        required=("external_ref", "organisation_ref", "kind"),
        fields=(
            "kind",
            "label",
            "starts_on",
            "ends_on",
            "certificate_type",
            "certificate_expires_on",
            "notes",
        ),
        extra=("organisation_ref", *IDENTIFIER_COLUMNS, "assigned_from"),
    ),
    "invoices": Spec(
        "invoices",
        Invoice,
        required=(
            "external_ref",
            "organisation_ref",
            "number",
            "issued_on",
            "fiscal_year_end",
            "total",
            "billing_name",
        ),
        fields=(
            "number",
            "issued_on",
            "fiscal_year_end",
            "currency",
            "total",
            "billing_name",
            "billing_address",
        ),
        extra=("organisation_ref",),
    ),
}


@dataclass
class Reject:
    row: int
    field: str
    reason: str


@dataclass
class Result:
    """What an import did; ``rows`` counts records (an invoice spread over CSV lines counts once)."""

    kind: str
    file: str
    label: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects: list[Reject] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.rejected == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "row_is": "line number" if self.label == "line" else "item index",
            "rejects": [{"row": r.row, "field": r.field, "reason": r.reason} for r in self.rejects],
        }


@dataclass
class Options:
    actor: Actor
    dry_run: bool = False
    purpose: str | None = None
    source_kind: str = SourceKind.DATA_SUBJECT
    source_name: str = ""
    channel: str = Channel.IMPORT
    encoding: str | None = None
    batch_size: int = 500
    progress: Callable[[int, int], None] | None = None


class _RowRejected(Exception):
    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        super().__init__("row rejected")
        self.problems = problems


@dataclass
class _Prepared:
    """A record converted to field values, ready to be written."""

    record: Record
    ref: str
    data: dict[str, Any]
    provenance: dict[str, Any]
    explicit_provenance: dict[str, Any]
    organisation_ref: str = ""
    roles: list[str] = field(default_factory=list)
    identifiers: dict[str, list[str]] = field(default_factory=dict)
    assigned_from: Any = None
    lines: list[dict[str, Any]] = field(default_factory=list)
    line_refs: list[tuple[int, str, str]] = field(default_factory=list)  # (row, field, service ref)


def run_import(kind: str, path: Path, options: Options) -> Result:
    """Import one file; raises :class:`FileRefused` when the file cannot be imported at all."""
    spec = SPECS.get(kind)
    if spec is None:
        raise FileRefused(f"unknown kind {kind!r}: choose one of {', '.join(SPECS)}")
    _check_options(options)
    started = time.perf_counter()
    source = open_source(path, options.encoding)
    try:
        result = Result(kind, str(path), source.label, options.dry_run)
        duplicates, total = _scan(spec, source)
    finally:
        source.close()
    source = open_source(path, options.encoding)
    # The objects that exist before the rows are read (the application's) are left out of the
    # cyclic garbage collector's passes while the rows are written: a batch allocates many short-lived
    # objects, and each full pass would otherwise walk the whole heap. Released at the end.
    gc.freeze()
    try:
        records = _grouped(spec, source)
        done = 0
        numbers_seen: dict[str, int] = {}
        while batch := list(islice(records, options.batch_size)):
            _import_batch(spec, source, batch, duplicates, options, result, numbers_seen)
            done += len(batch)
            if options.progress:
                options.progress(done, total)
    finally:
        gc.unfreeze()
        source.close()
    result.seconds = time.perf_counter() - started
    return result


def _check_options(options: Options) -> None:
    if options.source_kind not in SourceKind.values:
        raise FileRefused(f"--source-kind must be one of: {', '.join(SourceKind.values)}")
    if options.channel not in Channel.values:
        raise FileRefused(f"--channel must be one of: {', '.join(Channel.values)}")
    if options.source_kind in (SourceKind.THIRD_PARTY, SourceKind.PUBLIC) and not options.source_name:
        raise FileRefused(
            f"--source-kind {options.source_kind} needs --source-name naming where the data came from"
        )
    if options.purpose:
        try:
            required_categories(options.purpose)
        except IntakeError as exc:
            raise FileRefused(f"--purpose: {' '.join(exc.messages)}") from None


# --- the first pass: structure ------------------------------------------------------------------


def _scan(spec: Spec, source: Source) -> tuple[dict[int, int], int]:
    """Check columns and find duplicate references before anything is written.

    Returns the rows whose reference appeared earlier (row -> first row) and the record count.
    """
    allowed = spec.columns(source)
    if isinstance(source, CsvSource):
        _check_columns(spec, allowed, source.columns, "")
    first: dict[str, int] = {}
    duplicates: dict[int, int] = {}
    total = 0
    for record in _grouped(spec, source):
        total += 1
        if not isinstance(source, CsvSource):
            _check_columns(spec, allowed, list(record.values), f"item {record.row}: ")
        try:
            ref = conv.text(record.values.get("external_ref"))
        except conv.Problem:
            continue
        if ref and not record.problems:
            if ref in first:
                duplicates[record.row] = first[ref]
            else:
                first[ref] = record.row
    return duplicates, total


def _check_columns(spec: Spec, allowed: tuple[str, ...], present: list[str], where: str) -> None:
    what = "columns" if not where else "keys"
    missing = [name for name in spec.required if name not in present]
    if missing:
        raise FileRefused(
            f"{where}missing required {what}: {', '.join(missing)} (an import of {spec.name} needs "
            f"{', '.join(spec.required)})"
        )
    unknown = [name for name in present if name not in allowed]
    if unknown:
        raise FileRefused(
            f"{where}unknown {what}: {', '.join(unknown)} (the {what} of {spec.name} are {', '.join(allowed)})"
        )


def _grouped(spec: Spec, source: Source) -> Iterator[Record]:
    """The file's records; in an invoice CSV, consecutive rows of one external_ref are one record."""
    records = source.records()
    if spec.model is not Invoice or not isinstance(source, CsvSource):
        yield from records
        return
    current: Record | None = None
    for record in records:
        ref = record.values.get("external_ref", "").strip()
        if current is not None and ref and ref == current.values.get("external_ref", "").strip():
            current.parts.append(record)
            continue
        if current is not None:
            yield current
        current = record
    if current is not None:
        yield current


# --- the second pass: rows ----------------------------------------------------------------------


def _import_batch(
    spec: Spec,
    source: Source,
    batch: list[Record],
    duplicates: dict[int, int],
    options: Options,
    result: Result,
    numbers_seen: dict[str, int],
) -> None:
    prepared: list[_Prepared] = []
    first_reject = len(result.rejects)
    for record in batch:
        result.rows += 1
        try:
            if record.row in duplicates:
                first = duplicates[record.row]
                raise _RowRejected(
                    [
                        (
                            record.row,
                            "external_ref",
                            f"appears more than once in the file; first at {source.label} {first}",
                        )
                    ]
                )
            prepared.append(_prepare(spec, source, record, options))
        except _RowRejected as exc:
            _reject(result, exc.problems)
    with transaction.atomic():
        context = _Lookups(spec, prepared, source.label, numbers_seen)
        creates: list[tuple[_Prepared, _Plan]] = []
        for item in prepared:
            try:
                plan = _plan(spec, item, context)
            except _RowRejected as exc:
                _reject(result, exc.problems)
                continue
            if _bulk_creatable(spec, plan):
                creates.append((item, plan))
            else:
                _write_row(spec, item, plan, options, result)
        _write_creates(spec, creates, options, result)
        if options.dry_run:
            transaction.set_rollback(True)
    result.rejects[first_reject:] = sorted(result.rejects[first_reject:], key=lambda reject: reject.row)


def _bulk_creatable(spec: Spec, plan: _Plan) -> bool:
    """A new record that is one row and nothing else (no roles, identifiers or invoice lines)."""
    return (
        plan.create is not None
        and spec.model is not Invoice
        and not plan.roles
        and not plan.add_identifiers
        and not plan.end_identifiers
    )


def _write_creates(
    spec: Spec, creates: list[tuple[_Prepared, _Plan]], options: Options, result: Result
) -> None:
    """Create the batch's new records together; when any is refused, write them one at a time.

    The bulk path (``do_bulk_create``) writes what ``do_create`` writes for each record. It checks
    every row before writing; when one is refused, or the database refuses the insert, nothing of
    it stays and each record goes through its own savepoint, which rejects the bad ones with the
    same reasons as ever and keeps the good ones.
    """
    if not creates:
        return
    if len(creates) > 1:
        try:
            with transaction.atomic():
                do_bulk_create(
                    spec.model,
                    [cast(dict[str, Any], plan.create) for _, plan in creates],
                    actor=options.actor,
                    purpose=options.purpose,
                )
        except (ValidationError, DatabaseError):
            pass  # isolate the row one at a time, below
        else:
            result.created += len(creates)
            return
    for item, plan in creates:
        _write_row(spec, item, plan, options, result)


def _write_row(spec: Spec, item: _Prepared, plan: _Plan, options: Options, result: Result) -> None:
    """Write one record's plan in its own savepoint, or reject the row with the reasons."""
    outcome = plan.outcome
    try:
        if outcome != "unchanged":
            with transaction.atomic():
                _apply(spec, item, plan, options)
    except _RowRejected as exc:
        _reject(result, exc.problems)
        return
    except (IntakeError, ValidationError) as exc:
        _reject(result, _from_validation(item.record.row, exc))
        return
    except IntegrityError:
        _reject(
            result,
            [
                (
                    item.record.row,
                    "external_ref",
                    "another record with this reference or number was stored meanwhile; run the import again",
                )
            ],
        )
        return
    setattr(result, outcome, getattr(result, outcome) + 1)


def _reject(result: Result, problems: list[tuple[int, str, str]]) -> None:
    result.rejected += 1
    result.rejects.extend(Reject(row, name, reason) for row, name, reason in problems)


def _from_validation(row: int, exc: ValidationError) -> list[tuple[int, str, str]]:
    if hasattr(exc, "error_dict"):
        return [
            (row, _COLUMN_OF.get(name, name), message)
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return [(row, "", message) for message in exc.messages]


def _prepare(spec: Spec, source: Source, record: Record, options: Options) -> _Prepared:
    if record.problems:
        raise _RowRejected([(record.row, name, reason) for name, reason in record.problems])
    values = record.values
    problems: list[tuple[int, str, str]] = []
    comma = isinstance(source, CsvSource) and source.separator == ";"

    def convert(name: str, function: Callable[[Any], Any]) -> Any:
        try:
            return function(values.get(name))
        except conv.Problem as exc:
            problems.append((record.row, name, str(exc)))
            return None

    ref = convert("external_ref", conv.text) or ""
    if not ref and not any(p[1] == "external_ref" for p in problems):
        problems.append((record.row, "external_ref", "is required"))
    elif len(ref) > 100:
        problems.append((record.row, "external_ref", "is longer than 100 characters"))

    def field_value(name: str) -> Any:
        return convert(name, lambda raw: conv.model_value(spec.model, name, raw, comma=comma))

    data = {name: field_value(name) for name in spec.fields if name in values}
    explicit = {
        name: field_value(name)
        for name in PROVENANCE
        if values.get(name) not in (None, "") and str(values[name]).strip()
    }
    provenance = {
        "source_kind": options.source_kind,
        "source_name": options.source_name,
        "channel": options.channel,
        **explicit,
    }
    item = _Prepared(record, ref, data, provenance, explicit)
    if "organisation_ref" in values:
        item.organisation_ref = convert("organisation_ref", conv.text) or ""
    if spec.model is Person:
        _prepare_person(item, convert, problems)
    elif spec.model is Service:
        _prepare_service(item, convert, problems)
    elif spec.model is Invoice:
        _prepare_invoice(spec, source, item, problems, comma)
    needs_organisation = spec.model is not Person and "organisation_ref" in spec.extra
    if (
        needs_organisation
        and not item.organisation_ref
        and not any(p[1] == "organisation_ref" for p in problems)
    ):
        problems.append((record.row, "organisation_ref", "is required"))
    if problems:
        raise _RowRejected(problems)
    return item


def _prepare_person(
    item: _Prepared, convert: Callable[..., Any], problems: list[tuple[int, str, str]]
) -> None:
    row = item.record.row
    roles = convert("role", conv.words) or []
    allowed = Role.Kind.values
    if any(role.lower() not in allowed for role in roles):
        problems.append((row, "role", f"must be one or more of: {', '.join(allowed)}"))
    item.roles = sorted({role.lower() for role in roles})
    if item.roles and not item.organisation_ref:
        problems.append((row, "role", "needs organisation_ref: the organisation the person has this role in"))
    if item.organisation_ref and not item.roles:
        problems.append(
            (row, "role", f"is required with organisation_ref: one or more of {', '.join(allowed)}")
        )
    names = ("first_name", "last_name", "email")
    if not any(name in item.data for name in names) or any(p[1] in names for p in problems):
        return
    if not any(item.data.get(name) for name in names):
        problems.append((row, "last_name", "a person needs a first_name, last_name or email"))


def _prepare_service(
    item: _Prepared, convert: Callable[..., Any], problems: list[tuple[int, str, str]]
) -> None:
    row = item.record.row
    for column, check in _IDENTIFIER_CHECK.items():
        if column in item.record.values:
            values = convert(
                column, lambda raw, check=check: sorted({check(word) for word in conv.words(raw)})
            )
            if values is not None:
                item.identifiers[column] = values
    if conv.text(item.record.values.get("assigned_from")):
        item.assigned_from = convert("assigned_from", lambda raw: conv.moment(conv.text(raw)))
    starts, ends = item.data.get("starts_on"), item.data.get("ends_on")
    if starts and ends and ends < starts:
        problems.append((row, "ends_on", "is before starts_on"))


def _prepare_invoice(
    spec: Spec, source: Source, item: _Prepared, problems: list[tuple[int, str, str]], comma: bool
) -> None:
    record = item.record
    if isinstance(source, CsvSource):
        invoice_columns = [name for name in spec.columns(source) if name not in LINE_COLUMNS]
        for part in record.parts:
            problems.extend((part.row, name, reason) for name, reason in part.problems)
            for name in invoice_columns:
                value = part.values.get(name, "").strip()
                if value and value != record.values.get(name, "").strip():
                    problems.append(
                        (part.row, name, f"differs from line {record.row}, where this invoice starts")
                    )
        rows = [
            (part.row, {key[5:]: part.values.get(key) for key in LINE_COLUMNS})
            for part in (record, *record.parts)
        ]
        rows = [(row, line) for row, line in rows if any(conv.text(value) for value in line.values())]
        names: dict[str, str] = {key: f"line_{key}" for key in LINE_KEYS}
    else:
        raw_lines = record.values.get("lines") or []
        if not isinstance(raw_lines, list) or not all(isinstance(line, dict) for line in raw_lines):
            problems.append((record.row, "lines", "must be a list of objects"))
            return
        rows = []
        for index, line in enumerate(raw_lines):
            unknown = [key for key in line if key not in LINE_KEYS]
            if unknown:
                problems.append((record.row, f"lines[{index}]", f"unknown keys: {', '.join(unknown)}"))
            rows.append((record.row, line))
        names = {}
    for index, (row, line) in enumerate(rows):
        labels = names or {key: f"lines[{index}].{key}" for key in LINE_KEYS}
        converted: dict[str, Any] = {}
        for key, function in (
            ("description", lambda raw: conv.free_text(conv.model_value(InvoiceLine, "description", raw))),
            ("quantity", lambda raw: conv.model_value(InvoiceLine, "quantity", raw or "1", comma=comma)),
            ("unit_price", lambda raw: conv.model_value(InvoiceLine, "unit_price", raw, comma=comma)),
        ):
            try:
                converted[key] = function(line.get(key))
            except conv.Problem as exc:
                problems.append((row, labels[key], str(exc)))
        try:
            service_ref = conv.text(line.get("service_ref"))
        except conv.Problem as exc:
            problems.append((row, labels["service_ref"], str(exc)))
            service_ref = ""
        if service_ref:
            item.line_refs.append((row, labels["service_ref"], service_ref))
        converted["service_ref"] = service_ref
        item.lines.append(converted)


class _Lookups:
    """What a batch needs from the database, fetched with a few queries for the whole batch."""

    def __init__(self, spec: Spec, items: list[_Prepared], label: str, numbers_seen: dict[str, int]) -> None:
        self.label = label
        self.numbers_seen = numbers_seen  # invoice numbers met earlier in the file, for all batches
        refs = [item.ref for item in items]
        existing = spec.model._default_manager.select_for_update().filter(external_ref__in=refs)
        self.existing: dict[str | None, Any] = {record.external_ref: record for record in existing}
        org_refs = {item.organisation_ref for item in items if item.organisation_ref}
        self.organisations: dict[str | None, Organisation] = {
            org.external_ref: org
            for org in Organisation.objects.filter(external_ref__in=org_refs).only("id", "external_ref")
        }
        ids = [record.pk for record in self.existing.values()]
        self.roles: set[tuple[int, int, str]] = set()
        self.identifiers: dict[int, dict[tuple[str, str], ServiceIdentifier]] = {}
        self.lines: dict[int, list[tuple[Any, ...]]] = {}
        self.numbers: dict[str, str | None] = {}
        self.services: dict[str | None, tuple[int, int]] = {}
        if spec.model is Person:
            rows = Role.objects.filter(person_id__in=ids).values_list("person_id", "organisation_id", "kind")
            self.roles = set(rows)
        elif spec.model is Service:
            for ident in ServiceIdentifier.objects.filter(service_id__in=ids, assigned_until__isnull=True):
                self.identifiers.setdefault(ident.service_id, {})[(ident.kind, ident.value)] = ident
        elif spec.model is Invoice:
            for line in InvoiceLine.objects.filter(invoice_id__in=ids).order_by("id"):
                key = (line.description, line.quantity, line.unit_price, line.service_id)
                self.lines.setdefault(line.invoice_id, []).append(key)
            numbers = [item.data["number"] for item in items]
            self.numbers = dict(
                Invoice.objects.filter(number__in=numbers).values_list("number", "external_ref")
            )
            service_refs = {ref for item in items for _, _, ref in item.line_refs}
            self.services = {
                ref: (pk, org)
                for ref, pk, org in Service.objects.filter(external_ref__in=service_refs).values_list(
                    "external_ref", "id", "organisation_id"
                )
            }


@dataclass
class _Plan:
    """What one record needs written; empty when the database already holds it."""

    create: dict[str, Any] | None = None
    existing: Any = None
    changes: dict[str, Any] = field(default_factory=dict)
    roles: list[tuple[Organisation, str]] = field(default_factory=list)
    add_identifiers: list[dict[str, Any]] = field(default_factory=list)
    end_identifiers: list[ServiceIdentifier] = field(default_factory=list)
    lines: list[Mapping[str, Any]] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.create is not None:
            return "created"
        if self.changes or self.roles or self.add_identifiers or self.end_identifiers:
            return "updated"
        return "unchanged"


def _plan(spec: Spec, item: _Prepared, lookups: _Lookups) -> _Plan:
    """Compare one record with the database (no queries: the batch's lookups hold what is needed)."""
    row = item.record.row
    data = dict(item.data)
    organisation = None
    if item.organisation_ref:
        organisation = lookups.organisations.get(item.organisation_ref)
        if organisation is None:
            raise _RowRejected(
                [
                    (
                        row,
                        "organisation_ref",
                        "no organisation has this reference: import the organisations first",
                    )
                ]
            )
        if spec.model is not Person:
            data["organisation"] = organisation
    existing = lookups.existing.get(item.ref)
    plan = _Plan(existing=existing)
    if existing is None:
        plan.create = {**data, **item.provenance, "external_ref": item.ref}
    else:
        values = {**data, **item.explicit_provenance}
        plan.changes = {name: value for name, value in values.items() if _differs(existing, name, value)}
    if spec.model is Person and organisation is not None:
        person_id = existing.pk if existing is not None else None
        plan.roles = [
            (organisation, role)
            for role in item.roles
            if (person_id, organisation.pk, role) not in lookups.roles
        ]
    elif spec.model is Service:
        _plan_identifiers(item, plan, lookups)
    elif spec.model is Invoice:
        _plan_invoice(item, plan, lookups)
    return plan


def _differs(instance: Any, name: str, value: Any) -> bool:
    if isinstance(value, RegistryModel):
        return bool(getattr(instance, f"{name}_id") != value.pk)
    return bool(getattr(instance, name) != value)


def _apply(spec: Spec, item: _Prepared, plan: _Plan, options: Options) -> None:
    """Write a plan through the registry's services (inside the row's savepoint)."""
    actor = options.actor
    if spec.model is Invoice and plan.create is not None:
        if options.purpose:
            check_required(Invoice(**plan.create), options.purpose)
        do_create_invoice(plan.create, list(plan.lines), actor=actor)
        return
    if plan.create is not None:
        instance = do_create(spec.model, plan.create, actor=actor, purpose=options.purpose)
    elif plan.changes:
        instance = do_update(plan.existing, plan.changes, actor=actor, reason="updated by import")
    else:
        instance = plan.existing
    for organisation, role in plan.roles:
        do_link_person(organisation, cast(Person, instance), role, actor=actor)
    now = timezone.now()
    for values in plan.add_identifiers:
        assigned = values.pop("assigned_from", None) or now
        do_create(ServiceIdentifier, {**values, "service": instance, "assigned_from": assigned}, actor=actor)
    for ident in plan.end_identifiers:
        do_update(ident, {"assigned_until": now}, actor=actor, reason="no longer in the import")


def _plan_identifiers(item: _Prepared, plan: _Plan, lookups: _Lookups) -> None:
    """Record the identifiers the file lists that are not assigned now; end those it no longer lists."""
    current = lookups.identifiers.get(plan.existing.pk, {}) if plan.existing is not None else {}
    starts = item.assigned_from
    starts_on = item.data.get("starts_on") or (plan.existing.starts_on if plan.existing is not None else None)
    if starts is None and starts_on:
        starts = conv.moment(starts_on.isoformat())
    for column, values in item.identifiers.items():
        kind = IDENTIFIER_COLUMNS[column]
        for value in values:
            if (kind, value) not in current:
                plan.add_identifiers.append(
                    {"kind": kind, "value": value, "assigned_from": starts, **item.provenance}
                )
        wanted = set(values)
        plan.end_identifiers.extend(
            ident
            for (ident_kind, value), ident in current.items()
            if ident_kind == kind and value not in wanted
        )


def _plan_invoice(item: _Prepared, plan: _Plan, lookups: _Lookups) -> None:
    row = item.record.row
    data = plan.create if plan.create is not None else item.data
    number = data["number"]
    problems = []
    if number in lookups.numbers_seen:
        problems.append(
            (
                row,
                "number",
                f"is also the number of the invoice at {lookups.label} {lookups.numbers_seen[number]}",
            )
        )
    elif lookups.numbers.get(number, item.ref) != item.ref:
        problems.append((row, "number", "another invoice already has this number"))
    lookups.numbers_seen.setdefault(number, row)
    organisation = lookups.organisations.get(item.organisation_ref)
    for line in item.lines:
        service_id = None
        if line["service_ref"]:
            found = lookups.services.get(line["service_ref"])
            where = next((r, f) for r, f, ref in item.line_refs if ref == line["service_ref"])
            if found is None:
                problems.append((*where, "no service has this reference: import the services first"))
            elif organisation is not None and found[1] != organisation.pk:
                problems.append((*where, "the service belongs to another organisation"))
            service_id = found[0] if found else None
        values = {k: line[k] for k in ("description", "quantity", "unit_price")}
        plan.lines.append({**values, "service_id": service_id})
    if problems:
        raise _RowRejected(problems)
    if plan.existing is None:
        return
    stored = sorted(lookups.lines.get(plan.existing.pk, []), key=_line_key)
    wanted = sorted(
        (
            (line["description"], line["quantity"], line["unit_price"], line["service_id"])
            for line in plan.lines
        ),
        key=_line_key,
    )
    if stored != wanted:
        raise _RowRejected(
            [
                (
                    row,
                    "lines",
                    "differ from the stored invoice's lines; an invoice's lines are not changed by an import (issue a credit note)",
                )
            ]
        )


def _line_key(line: tuple[Any, ...]) -> tuple[Any, ...]:
    return (line[0], line[1], line[2], line[3] or 0)
