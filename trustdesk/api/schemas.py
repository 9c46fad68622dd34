"""What the API reads and writes: one schema in and one out per record.

Every field of an ``...In`` schema may be left out: a PUT that creates a record needs the
fields the record cannot do without, a PUT that updates one changes only the fields it sends.
Messages of validation errors name the rule that was broken, never the value that broke it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, StringConstraints

from trustdesk.policy.countries import ISO_COUNTRIES
from trustdesk.registry.models import (
    Channel,
    Invoice,
    Organisation,
    Person,
    Role,
    Service,
    ServiceIdentifier,
    SourceKind,
)


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("enter a valid e-mail address") from None
    return value


def _url(value: str) -> str:
    if value:
        try:
            URLValidator()(value)
        except DjangoValidationError:
            raise ValueError("enter a valid URL, starting with http:// or https://") from None
    return value


def _country(value: str) -> str:
    value = value.upper()
    if value and value not in ISO_COUNTRIES:
        raise ValueError("enter a two-letter country code (ISO 3166-1 alpha-2), e.g. NL")
    return value


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("enter a three-letter currency code (ISO 4217), e.g. EUR")
    return value


def _text(value: str) -> str:
    """Text without a NUL character, which PostgreSQL can neither store nor look up (a 500 otherwise)."""
    if "\x00" in value:
        raise ValueError("may not contain a NUL character")
    return value


_NO_NUL = AfterValidator(_text)
#: Every text the API reads, in a body, a path or a query string, is refused with a NUL character.
Text = Annotated[str, _NO_NUL]
Str10 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10), _NO_NUL]
Str20 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20), _NO_NUL]
Str50 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50), _NO_NUL]
Str100 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), _NO_NUL]
Str200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), _NO_NUL]
Str253 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=253), _NO_NUL]
Str300 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300), _NO_NUL]
LongText = Annotated[str, StringConstraints(strip_whitespace=True), _NO_NUL]  # bounded by the 1 MB body limit
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254), _NO_NUL, AfterValidator(_email)
]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), _NO_NUL, AfterValidator(_url)]
Country = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2), _NO_NUL, AfterValidator(_country)
]
Currency = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True), _NO_NUL, AfterValidator(_currency)
]
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), _NO_NUL]


class ErrorOut(Schema):
    errors: dict[str, str] = Field(
        ..., description="Each field that was refused (or 'body', 'authorization') and why"
    )


class StrictIn(Schema):
    """Refuses fields it does not know, so that a misspelt field is reported, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ProvenanceIn(StrictIn):
    source_kind: SourceKind | None = Field(None, description="Where the data came from")
    source_name: Str200 | None = Field(
        None, description="The third party or public register, when source_kind names one"
    )
    channel: Channel | None = Field(None, description="How it reached the provider; 'api' when left out")


class ProvenanceOut(Schema):
    external_ref: str
    source_kind: str
    source_name: str
    channel: str
    created_at: dt.datetime
    updated_at: dt.datetime


# Organisations


class OrganisationIn(ProvenanceIn):
    kind: Organisation.Kind | None = None
    name: Str200 | None = Field(None, description="Required to create an organisation")
    company_number: Str50 | None = None
    vat_number: Str50 | None = None
    street: Str200 | None = None
    postal_code: Str20 | None = None
    city: Str100 | None = None
    country: Country | None = None
    email: Email | None = None
    phone: Str50 | None = None
    fax: Str50 | None = None
    website: Url | None = None
    notes: LongText | None = None
    status: Organisation.Status | None = None
    ended_on: dt.date | None = None


class OrganisationOut(ProvenanceOut):
    kind: str
    name: str
    company_number: str
    vat_number: str
    street: str
    postal_code: str
    city: str
    country: str
    email: str
    phone: str
    fax: str
    website: str
    notes: str
    status: str
    ended_on: dt.date | None


# People


class RoleIn(StrictIn):
    organisation_ref: Ref = Field(..., description="The external reference of the organisation")
    kind: Role.Kind
    since: dt.date | None = None
    until: dt.date | None = None


class RoleOut(Schema):
    organisation_ref: str | None
    kind: str
    since: dt.date | None
    until: dt.date | None


class PersonIn(ProvenanceIn):
    kind: Person.Kind | None = None
    first_name: Str100 | None = None
    last_name: Str100 | None = None
    email: Email | None = None
    phone: Str50 | None = None
    mobile: Str50 | None = None
    fax: Str50 | None = None
    street: Str200 | None = None
    postal_code: Str20 | None = None
    city: Str100 | None = None
    country: Country | None = None
    language: Str10 | None = None
    job_title: Str100 | None = None
    tags: Str300 | None = None
    notes: LongText | None = None
    roles: list[RoleIn] | None = Field(
        None,
        description="Every role of the person when sent: new ones are added, listed ones updated, "
        "open roles that are not listed end today. Left out: the roles stay as they are.",
    )


class PersonOut(ProvenanceOut):
    kind: str
    first_name: str
    last_name: str
    email: str
    phone: str
    mobile: str
    fax: str
    street: str
    postal_code: str
    city: str
    country: str
    language: str
    job_title: str
    tags: str
    notes: str
    roles: list[RoleOut]

    @staticmethod
    def resolve_roles(obj: Person) -> list[dict[str, Any]]:
        return [
            {
                "organisation_ref": role.organisation.external_ref,
                "kind": role.kind,
                "since": role.since,
                "until": role.until,
            }
            for role in obj.roles.select_related("organisation").order_by("organisation_id", "kind")
        ]


# Services


class IdentifierIn(StrictIn):
    kind: ServiceIdentifier.Kind
    value: Str253 = Field(..., description="A domain name, an IP address or an IP network (CIDR)")
    assigned_from: dt.datetime | None = None
    assigned_until: dt.datetime | None = None


class IdentifierOut(Schema):
    kind: str
    value: str
    assigned_from: dt.datetime | None
    assigned_until: dt.datetime | None


_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")


def normalise_identifier(kind: str, value: str) -> str:
    """The identifier in its canonical form; ValueError says what is wrong without repeating it."""
    if kind == ServiceIdentifier.Kind.DOMAIN:
        name = value.lower().rstrip(".")
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError("not a valid domain name") from None
        if not _DOMAIN.fullmatch(name):
            raise ValueError("not a valid domain name")
        return name
    if kind == ServiceIdentifier.Kind.IP_ADDRESS:
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise ValueError("not a valid IPv4 or IPv6 address") from None
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError:
        raise ValueError(
            "not a valid IP network in CIDR notation (e.g. 192.0.2.0/24), host bits clear"
        ) from None


class ServiceIn(ProvenanceIn):
    organisation_ref: Ref | None = Field(None, description="Required to create a service")
    kind: Service.Kind | None = Field(None, description="Required to create a service")
    label: Str200 | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    certificate_type: Service.CertificateType | None = None
    certificate_expires_on: dt.date | None = None
    notes: LongText | None = None
    identifiers: list[IdentifierIn] | None = Field(
        None,
        description="Every identifier of the service when sent: new ones are added, listed ones updated, "
        "open assignments that are not listed end now. Left out: the identifiers stay as they are.",
    )


class ServiceOut(ProvenanceOut):
    organisation_ref: str | None
    kind: str
    label: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    certificate_type: str
    certificate_expires_on: dt.date | None
    notes: str
    identifiers: list[IdentifierOut]

    @staticmethod
    def resolve_organisation_ref(obj: Service) -> str | None:
        return obj.organisation.external_ref

    @staticmethod
    def resolve_identifiers(obj: Service) -> list[ServiceIdentifier]:
        return list(obj.identifiers.order_by("kind", "value", "assigned_from", "pk"))


# Invoices


class LineIn(StrictIn):
    description: Str300
    quantity: Decimal = Field(..., max_digits=14, decimal_places=3)
    unit_price: Decimal = Field(..., max_digits=14, decimal_places=4)
    service_ref: Ref | None = Field(None, description="The external reference of the service invoiced")


class LineOut(Schema):
    description: str
    quantity: Decimal
    unit_price: Decimal
    service_ref: str | None

    @staticmethod
    def resolve_service_ref(obj: Any) -> str | None:
        return obj.service.external_ref if obj.service_id else None


class InvoiceIn(ProvenanceIn):
    organisation_ref: Ref | None = Field(None, description="Required to create an invoice")
    number: Str50 | None = Field(None, description="Required to create an invoice; unique")
    issued_on: dt.date | None = Field(None, description="Required to create an invoice")
    fiscal_year_end: dt.date | None = Field(None, description="Required to create an invoice")
    currency: Currency | None = None
    total: Decimal | None = Field(
        None, max_digits=14, decimal_places=2, description="Required to create an invoice"
    )
    billing_name: Str200 | None = Field(None, description="Required to create an invoice")
    billing_address: LongText | None = None
    lines: list[LineIn] | None = Field(
        None,
        description="The invoice's lines, set when it is created. An issued invoice's lines do not change: "
        "sending other lines for an existing invoice is refused (issue a credit note instead).",
    )


class InvoiceOut(ProvenanceOut):
    organisation_ref: str | None
    number: str
    issued_on: dt.date
    fiscal_year_end: dt.date
    currency: str
    total: Decimal
    billing_name: str
    billing_address: str
    lines: list[LineOut]

    @staticmethod
    def resolve_organisation_ref(obj: Invoice) -> str | None:
        return obj.organisation.external_ref

    @staticmethod
    def resolve_lines(obj: Invoice) -> list[Any]:
        return list(obj.lines.select_related("service").order_by("pk"))
