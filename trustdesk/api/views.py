"""The endpoints: read, and create or update by external reference. Thin callers of the registry's services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Field as DjangoField
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone, translation
from ninja import Path, Query, Router, Status

from trustdesk.api.auth import TokenAuth
from trustdesk.api.models import ApiToken, Scope
from trustdesk.api.schemas import (
    ErrorOut,
    IdentifierIn,
    InvoiceIn,
    InvoiceOut,
    LineIn,
    OrganisationIn,
    OrganisationOut,
    PersonIn,
    PersonOut,
    RoleIn,
    ServiceIn,
    ServiceOut,
    Text,
    normalise_identifier,
)
from trustdesk.lib.cards import CARD_MESSAGE, contains_card_number
from trustdesk.registry.models import (
    Channel,
    Invoice,
    Organisation,
    Person,
    RegistryModel,
    Role,
    Service,
    ServiceIdentifier,
)
from trustdesk.registry.services import (
    Actor,
    check_required,
    do_create,
    do_create_invoice,
    do_link_person,
    do_update,
    do_upsert,
)

M = TypeVar("M", bound=RegistryModel)

READ = TokenAuth(Scope.REGISTRY_READ)
WRITE = TokenAuth(Scope.REGISTRY_WRITE)
UPDATED = "updated through the API"

_AUTH_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 413: ErrorOut, 429: ErrorOut}
READ_RESPONSES: dict[int, Any] = {404: ErrorOut, **_AUTH_ERRORS}
WRITE_RESPONSES: dict[int, Any] = {400: ErrorOut, 409: ErrorOut, 422: ErrorOut, **_AUTH_ERRORS}

ExternalRef = Path(..., min_length=1, max_length=100, description="The billing system's reference")
Purpose = Query(
    None,
    description="A purpose of the policy in effect: a new record that lacks a category this purpose "
    "requires is refused (e.g. 'invoicing')",
)

router = Router()


class Refused(Exception):
    """A request refused with ``{"errors": ...}`` and a status code."""

    def __init__(self, errors: dict[str, str], status: int = 422) -> None:
        self.errors = errors
        self.status = status
        super().__init__(errors)


def _actor(request: HttpRequest) -> Actor:
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    return Actor(ref=token.actor_ref)


def _name(model: type[Model]) -> str:
    """The model's name in the API's language, English (its messages are English whatever the client's
    language)."""
    with translation.override("en"):
        return str(model._meta.verbose_name)


def _get(model: type[M], external_ref: str) -> M:
    found = model._default_manager.filter(external_ref=external_ref).first()
    if found is None:
        raise Refused({"external_ref": f"no {_name(model)} has this reference"}, status=404)
    return found


def _by_ref(model: type[M], external_ref: str, key: str) -> M:
    found = model._default_manager.filter(external_ref=external_ref).first()
    if found is None:
        raise Refused({key: f"no {_name(model)} has this reference"})
    return found


def _prepare(model: type[Model], data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Field values for the services: null empties a text field; a record to create has what it needs."""
    errors: dict[str, str] = {}
    prepared: dict[str, Any] = {}
    for name, value in data.items():
        field = model._meta.get_field(name)
        if not isinstance(field, DjangoField):  # pragma: no cover  (the schemas name only concrete fields)
            raise TypeError(f"{name} is not a field of {model.__name__}")
        if value is None and not field.null:
            if field.blank:
                value = ""
            elif field.has_default():
                continue  # null means 'the default' on create and 'unchanged' on update
        prepared[name] = value
    for field in model._meta.concrete_fields:
        if field.primary_key or field.blank or field.null or field.has_default():
            continue
        key = f"{field.name}_ref" if field.is_relation else field.name
        value = prepared.get(field.name)
        if creating and value in (None, ""):
            errors[key] = f"required to create a new {_name(model)}"
        elif not creating and field.name in prepared and value in (None, ""):
            errors[key] = "may not be empty"
    if errors:
        raise Refused(errors)
    if creating and not prepared.get("channel"):
        prepared["channel"] = Channel.API
    return prepared


def _exists(model: type[Model], external_ref: str) -> bool:
    return model._default_manager.filter(external_ref=external_ref).exists()


# Organisations


@router.get(
    "/organisations/{external_ref}",
    response={200: OrganisationOut, **READ_RESPONSES},
    auth=READ,
    tags=["organisations"],
    summary="Read an organisation",
)
def get_organisation(request: HttpRequest, external_ref: Text = ExternalRef) -> Organisation:
    return _get(Organisation, external_ref)


@router.put(
    "/organisations/{external_ref}",
    response={200: OrganisationOut, 201: OrganisationOut, **WRITE_RESPONSES},
    auth=WRITE,
    tags=["organisations"],
    summary="Create (201) or update (200) an organisation",
)
def put_organisation(
    request: HttpRequest,
    payload: OrganisationIn,
    external_ref: Text = ExternalRef,
    purpose: Text | None = Purpose,
) -> Status[Organisation]:
    creating = not _exists(Organisation, external_ref)
    data = _prepare(Organisation, payload.model_dump(exclude_unset=True), creating=creating)
    organisation, created = do_upsert(
        Organisation, external_ref, data, actor=_actor(request), purpose=purpose
    )
    return Status(201 if created else 200, organisation)


# People


@router.get(
    "/people/{external_ref}",
    response={200: PersonOut, **READ_RESPONSES},
    auth=READ,
    tags=["people"],
    summary="Read a person with their roles",
)
def get_person(request: HttpRequest, external_ref: Text = ExternalRef) -> Person:
    return _get(Person, external_ref)


@router.put(
    "/people/{external_ref}",
    response={200: PersonOut, 201: PersonOut, **WRITE_RESPONSES},
    auth=WRITE,
    tags=["people"],
    summary="Create (201) or update (200) a person and their roles",
)
def put_person(
    request: HttpRequest, payload: PersonIn, external_ref: Text = ExternalRef, purpose: Text | None = Purpose
) -> Status[Person]:
    creating = not _exists(Person, external_ref)
    fields = payload.model_dump(exclude_unset=True, exclude={"roles"})
    data = _prepare(Person, fields, creating=creating)
    roles = _resolve_roles(payload.roles) if payload.roles is not None else None
    actor = _actor(request)
    with transaction.atomic():
        person, created = do_upsert(Person, external_ref, data, actor=actor, purpose=purpose)
        if roles is not None:
            _sync_roles(person, roles, actor=actor)
    return Status(201 if created else 200, person)


def _resolve_roles(roles: list[RoleIn]) -> list[tuple[Organisation, RoleIn]]:
    errors: dict[str, str] = {}
    resolved: list[tuple[Organisation, RoleIn]] = []
    seen: set[tuple[str, str]] = set()
    for index, role in enumerate(roles):
        key = (role.organisation_ref, role.kind)
        if key in seen:
            errors[f"roles.{index}"] = "the same role in the same organisation is listed twice"
            continue
        seen.add(key)
        try:
            resolved.append((_by_ref(Organisation, role.organisation_ref, "organisation_ref"), role))
        except Refused:
            errors[f"roles.{index}.organisation_ref"] = "no organisation has this reference"
        if role.since and role.until and role.until < role.since:
            errors[f"roles.{index}.until"] = "ends before it starts"
    if errors:
        raise Refused(errors)
    return resolved


def _sync_roles(person: Person, roles: list[tuple[Organisation, RoleIn]], *, actor: Actor) -> None:
    kept: set[int] = set()
    for organisation, wanted in roles:
        role = do_link_person(organisation, person, wanted.kind, actor=actor)
        do_update(role, {"since": wanted.since, "until": wanted.until}, actor=actor, reason=UPDATED)
        kept.add(role.pk)
    today = timezone.localdate()
    for role in Role.objects.filter(person=person, until__isnull=True).exclude(pk__in=kept):
        do_update(role, {"until": today}, actor=actor, reason="ended: no longer listed by the API")


# Services


@router.get(
    "/services/{external_ref}",
    response={200: ServiceOut, **READ_RESPONSES},
    auth=READ,
    tags=["services"],
    summary="Read a service with its identifiers",
)
def get_service(request: HttpRequest, external_ref: Text = ExternalRef) -> Service:
    return _get(Service, external_ref)


@router.put(
    "/services/{external_ref}",
    response={200: ServiceOut, 201: ServiceOut, **WRITE_RESPONSES},
    auth=WRITE,
    tags=["services"],
    summary="Create (201) or update (200) a service and its identifiers",
)
def put_service(
    request: HttpRequest, payload: ServiceIn, external_ref: Text = ExternalRef, purpose: Text | None = Purpose
) -> Status[Service]:
    creating = not _exists(Service, external_ref)
    fields = payload.model_dump(exclude_unset=True, exclude={"identifiers", "organisation_ref"})
    if payload.organisation_ref is not None:
        fields["organisation"] = _by_ref(Organisation, payload.organisation_ref, "organisation_ref")
    data = _prepare(Service, fields, creating=creating)
    identifiers = _normalise_identifiers(payload.identifiers) if payload.identifiers is not None else None
    actor = _actor(request)
    with transaction.atomic():
        service, created = do_upsert(Service, external_ref, data, actor=actor, purpose=purpose)
        if identifiers is not None:
            _sync_identifiers(service, identifiers, actor=actor)
    return Status(201 if created else 200, service)


def _later(one: ServiceIdentifier, other: ServiceIdentifier) -> bool:
    if other.assigned_until is None:
        return False
    return one.assigned_until is None or one.assigned_until > other.assigned_until


def _normalise_identifiers(identifiers: list[IdentifierIn]) -> list[dict[str, Any]]:
    errors: dict[str, str] = {}
    result: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for index, identifier in enumerate(identifiers):
        try:
            value = normalise_identifier(identifier.kind, identifier.value)
        except ValueError as exc:
            errors[f"identifiers.{index}.value"] = str(exc)
            continue
        if (identifier.kind, value) in seen:
            errors[f"identifiers.{index}"] = "the same identifier is listed twice"
            continue
        seen.add((identifier.kind, value))
        start, end = identifier.assigned_from, identifier.assigned_until
        if start and end and end < start:
            errors[f"identifiers.{index}.assigned_until"] = "ends before it starts"
        result.append(
            {"kind": identifier.kind, "value": value, "assigned_from": start, "assigned_until": end}
        )
    if errors:
        raise Refused(errors)
    return result


def _sync_identifiers(service: Service, identifiers: list[dict[str, Any]], *, actor: Actor) -> None:
    existing: dict[tuple[str, str], ServiceIdentifier] = {}
    for identifier in service.identifiers.order_by("pk"):
        # A value assigned more than once: its open assignment wins, else its latest.
        key = (identifier.kind, identifier.value)
        current = existing.get(key)
        if current is None or _later(identifier, current):
            existing[key] = identifier
    kept: set[int] = set()
    for wanted in identifiers:
        found = existing.get((wanted["kind"], wanted["value"]))
        times = {"assigned_from": wanted["assigned_from"], "assigned_until": wanted["assigned_until"]}
        if found is None:
            found = do_create(
                ServiceIdentifier, {"service": service, "channel": Channel.API, **wanted}, actor=actor
            )
        else:
            do_update(found, times, actor=actor, reason=UPDATED)
        kept.add(found.pk)
    now = timezone.now()
    for identifier in service.identifiers.filter(assigned_until__isnull=True).exclude(pk__in=kept):
        do_update(
            identifier, {"assigned_until": now}, actor=actor, reason="ended: no longer listed by the API"
        )


# Invoices


@router.get(
    "/invoices/{external_ref}",
    response={200: InvoiceOut, **READ_RESPONSES},
    auth=READ,
    tags=["invoices"],
    summary="Read an invoice with its lines",
)
def get_invoice(request: HttpRequest, external_ref: Text = ExternalRef) -> Invoice:
    return _get(Invoice, external_ref)


@router.put(
    "/invoices/{external_ref}",
    response={200: InvoiceOut, 201: InvoiceOut, **WRITE_RESPONSES},
    auth=WRITE,
    tags=["invoices"],
    summary="Create (201) or update (200) an invoice; its lines are set when it is created",
)
def put_invoice(
    request: HttpRequest, payload: InvoiceIn, external_ref: Text = ExternalRef, purpose: Text | None = Purpose
) -> Status[Invoice]:
    existing = Invoice.objects.filter(external_ref=external_ref).first()
    fields = payload.model_dump(exclude_unset=True, exclude={"lines", "organisation_ref"})
    if payload.organisation_ref is not None:
        fields["organisation"] = _by_ref(Organisation, payload.organisation_ref, "organisation_ref")
    data = _prepare(Invoice, fields, creating=existing is None)
    number = data.get("number")
    if number and Invoice.objects.filter(number=number).exclude(external_ref=external_ref).exists():
        raise Refused({"number": "another invoice already has this number"})
    lines = _resolve_lines(payload.lines or [])
    actor = _actor(request)
    with transaction.atomic():
        if existing is None:
            data["external_ref"] = external_ref
            if purpose:
                check_required(Invoice(**data), purpose)
            return Status(201, do_create_invoice(data, lines, actor=actor))
        if payload.lines is not None and not _same_lines(existing, lines):
            raise Refused(
                {
                    "lines": "the lines of an existing invoice cannot be changed; "
                    "send the same lines or none, and issue a credit note as a new invoice"
                }
            )
        return Status(200, do_update(existing, data, actor=actor, reason=UPDATED))


def _resolve_lines(lines: list[LineIn]) -> list[Mapping[str, Any]]:
    errors: dict[str, str] = {}
    resolved: list[Mapping[str, Any]] = []
    for index, line in enumerate(lines):
        if contains_card_number(line.description):
            errors[f"lines.{index}.description"] = str(CARD_MESSAGE)
        service = None
        if line.service_ref is not None:
            service = Service.objects.filter(external_ref=line.service_ref).first()
            if service is None:
                errors[f"lines.{index}.service_ref"] = "no service has this reference"
        resolved.append(
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "service": service,
            }
        )
    if errors:
        raise Refused(errors)
    return resolved


def _same_lines(invoice: Invoice, lines: list[Mapping[str, Any]]) -> bool:
    def key(description: str, quantity: Any, unit_price: Any, service_id: int | None) -> tuple[Any, ...]:
        return (description, quantity, unit_price, service_id)

    stored = [
        key(x.description, x.quantity, x.unit_price, x.service_id) for x in invoice.lines.order_by("pk")
    ]
    wanted = [
        key(x["description"], x["quantity"], x["unit_price"], x["service"].pk if x["service"] else None)
        for x in lines
    ]
    return stored == wanted
