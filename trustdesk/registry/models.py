"""The registry: organisations, people, their roles, services, invoices and interactions.

Every personal field is declared once in ``data_map`` on its model (category and
erasure action); every other field is listed in ``not_personal``. A test fails
when a field of any model is in neither. Every record keeps where its data came
from (source and channel). Changes go through :mod:`trustdesk.registry.services`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from trustdesk.lib.cards import CARD_MESSAGE, contains_card_number
from trustdesk.lib.datamap import Erasure, Field, ModelMap


class SourceKind(models.TextChoices):
    DATA_SUBJECT = "data_subject", "the person"
    ORGANISATION = "organisation", "their organisation"
    THIRD_PARTY = "third_party", "a named third party"
    PUBLIC = "public", "a public register"
    OBSERVED = "observed", "recorded while using the services"


class Channel(models.TextChoices):
    WEBSITE = "website", "website"
    PORTAL = "portal", "customer portal"
    EMAIL = "email", "e-mail"
    PHONE = "phone", "phone"
    FAX = "fax", "fax"
    LETTER = "letter", "letter"
    IN_PERSON = "in_person", "in person"
    API = "api", "API"
    IMPORT = "import", "import"


class RegistryModel(models.Model):
    """Shared by every registry record: the billing system's reference, provenance, and card refusal."""

    external_ref = models.CharField(
        max_length=100, unique=True, null=True, blank=True, help_text="The billing system's identifier"
    )
    source_kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.DATA_SUBJECT)
    source_name = models.CharField(
        max_length=200, blank=True, help_text="The named third party or public register the data came from"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    #: Text fields where people type freely: a card number is refused there (P0.8).
    free_text: ClassVar[tuple[str, ...]] = ()
    data_map: ClassVar[ModelMap]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The same checks whichever way a record is saved: services, imports, the API, the admin.
        self.clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        errors = {
            name: CARD_MESSAGE
            for name in self.free_text
            if isinstance(getattr(self, name), str) and contains_card_number(getattr(self, name))
        }
        if self.source_kind in (SourceKind.THIRD_PARTY, SourceKind.PUBLIC) and not self.source_name:
            errors["source_name"] = "name the third party or register the data came from"
        if errors:
            raise ValidationError(errors)


PROVENANCE = ("id", "external_ref", "source_kind", "source_name", "channel", "created_at", "updated_at")


class Organisation(RegistryModel):
    class Kind(models.TextChoices):
        COMPANY = "company", "company"
        PRIVATE = "private", "private person"

    class Status(models.TextChoices):
        ACTIVE = "active", "active"
        ENDED = "ended", "ended"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COMPANY)
    name = models.CharField(max_length=200)
    company_number = models.CharField(max_length=50, blank=True)
    vat_number = models.CharField(max_length=50, blank=True)
    street = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    fax = models.CharField(max_length=50, blank=True)
    website = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    ended_on = models.DateField(null=True, blank=True)

    history = HistoricalRecords()
    free_text = ("notes", "name")
    data_map = ModelMap(
        personal={
            # A private customer's name and address are a person's; a company's contact details
            # often name a person too. Treated as personal throughout.
            "name": Field("user.contact.organization", Erasure.PSEUDONYMISE),
            "street": Field("user.contact.address.street", Erasure.CLEAR),
            "postal_code": Field("user.contact.address.postal_code", Erasure.CLEAR),
            "city": Field("user.contact.address.city", Erasure.CLEAR),
            "email": Field("user.contact.email", Erasure.PSEUDONYMISE),
            "phone": Field("user.contact.phone_number", Erasure.CLEAR),
            "fax": Field("user.contact.fax_number", Erasure.CLEAR),
            "website": Field("user.contact.url", Erasure.CLEAR),
            "notes": Field("user.content", Erasure.CLEAR),
            "vat_number": Field("user.unique_id", Erasure.CLEAR),
            "company_number": Field("user.unique_id", Erasure.CLEAR),
        },
        not_personal=(*PROVENANCE, "kind", "country", "status", "ended_on"),
        subject_path="",
    )

    def __str__(self) -> str:
        return f"organisation {self.pk}"


class Person(RegistryModel):
    class Kind(models.TextChoices):
        CUSTOMER_CONTACT = "customer_contact", "customer contact"
        PLATFORM_USER = "platform_user", "platform user"
        PROSPECT = "prospect", "prospect"
        SUPPLIER_CONTACT = "supplier_contact", "supplier contact"
        ABUSE_REPORTER = "abuse_reporter", "abuse reporter"

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CUSTOMER_CONTACT)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=50, blank=True)
    mobile = models.CharField(max_length=50, blank=True)
    fax = models.CharField(max_length=50, blank=True)
    street = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    language = models.CharField(max_length=10, blank=True)
    job_title = models.CharField(max_length=100, blank=True)
    tags = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)

    history = HistoricalRecords()
    free_text = ("notes", "tags", "job_title", "first_name", "last_name")
    data_map = ModelMap(
        personal={
            "first_name": Field("user.name.first", Erasure.PSEUDONYMISE),
            "last_name": Field("user.name.last", Erasure.PSEUDONYMISE),
            "email": Field("user.contact.email", Erasure.PSEUDONYMISE),
            "phone": Field("user.contact.phone_number", Erasure.CLEAR),
            "mobile": Field("user.contact.phone_number", Erasure.CLEAR),
            "fax": Field("user.contact.fax_number", Erasure.CLEAR),
            "street": Field("user.contact.address.street", Erasure.CLEAR),
            "postal_code": Field("user.contact.address.postal_code", Erasure.CLEAR),
            "city": Field("user.contact.address.city", Erasure.CLEAR),
            "country": Field("user.contact.address.country", Erasure.CLEAR),
            "language": Field("user.demographic.language", Erasure.CLEAR),
            "job_title": Field("user.job_title", Erasure.CLEAR),
            "tags": Field("user.behavior", Erasure.CLEAR),
            "notes": Field("user.content", Erasure.CLEAR),
            # The billing system's id of a person links to everything it holds about them.
            "external_ref": Field("user.unique_id", Erasure.PSEUDONYMISE),
        },
        not_personal=tuple(name for name in (*PROVENANCE, "kind") if name != "external_ref"),
        subject_path="",
    )

    def __str__(self) -> str:
        return f"person {self.pk}"


class Role(RegistryModel):
    """How a person stands in an organisation."""

    class Kind(models.TextChoices):
        OWNER = "owner", "owner"
        BILLING = "billing", "billing contact"
        TECHNICAL = "technical", "technical contact"
        USER = "user", "user"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="roles")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)

    history = HistoricalRecords()
    data_map = ModelMap(
        personal={},
        not_personal=(*PROVENANCE, "organisation", "person", "kind", "since", "until"),
        subject_path="person",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "person", "kind"], name="registry_role_unique"),
        ]

    def __str__(self) -> str:
        return f"role {self.pk}"


class Service(RegistryModel):
    class Kind(models.TextChoices):
        WEB_HOSTING = "web_hosting", "web hosting"
        DOMAIN = "domain", "domain name"
        SSL_CERTIFICATE = "ssl_certificate", "SSL certificate"
        VPS = "vps", "virtual private server"
        EMAIL = "email", "e-mail"

    class CertificateType(models.TextChoices):
        DV = "dv", "domain validation"
        OV = "ov", "organisation validation"
        EV = "ev", "extended validation"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="services")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    label = models.CharField(max_length=200, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    certificate_type = models.CharField(max_length=2, choices=CertificateType.choices, blank=True)
    certificate_expires_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    history = HistoricalRecords()
    free_text = ("label", "notes")
    data_map = ModelMap(
        personal={
            "label": Field("user.unique_id", Erasure.CLEAR),
            "notes": Field("user.content", Erasure.CLEAR),
        },
        not_personal=(
            *PROVENANCE,
            "organisation",
            "kind",
            "starts_on",
            "ends_on",
            "certificate_type",
            "certificate_expires_on",
        ),
        subject_path="organisation",
    )

    def __str__(self) -> str:
        return f"service {self.pk}"


class ServiceIdentifier(RegistryModel):
    """A domain name, IP address or network of a service, with the period it was assigned."""

    class Kind(models.TextChoices):
        DOMAIN = "domain", "domain name"
        IP_ADDRESS = "ip_address", "IP address"
        IP_NETWORK = "ip_network", "IP network"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.CharField(max_length=253, db_index=True)
    assigned_from = models.DateTimeField(null=True, blank=True)
    assigned_until = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    data_map = ModelMap(
        personal={"value": Field("user.unique_id", Erasure.PSEUDONYMISE)},
        not_personal=(*PROVENANCE, "service", "kind", "assigned_from", "assigned_until"),
        subject_path="service__organisation",
    )

    def __str__(self) -> str:
        return f"service identifier {self.pk}"


class Invoice(RegistryModel):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=50)
    issued_on = models.DateField()
    fiscal_year_end = models.DateField(help_text="The end of the fiscal year the invoice belongs to")
    currency = models.CharField(max_length=3, default="EUR")
    total = models.DecimalField(max_digits=14, decimal_places=2)
    billing_name = models.CharField(max_length=200)
    billing_address = models.TextField(blank=True)

    history = HistoricalRecords()
    free_text = ("billing_address",)
    data_map = ModelMap(
        personal={
            # Kept for the accounting period: the policy's legal-obligation purpose whose retention runs
            # from the end of the fiscal year of the invoice says how long (a legal hold), then erased.
            "billing_name": Field("user.name", Erasure.HOLD, hold="end_of_fiscal_year_of_invoice"),
            "billing_address": Field(
                "user.contact.address", Erasure.HOLD, hold="end_of_fiscal_year_of_invoice"
            ),
        },
        not_personal=(
            *PROVENANCE,
            "organisation",
            "number",
            "issued_on",
            "fiscal_year_end",
            "currency",
            "total",
        ),
        subject_path="organisation",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["number"], name="registry_invoice_number_unique")]

    def __str__(self) -> str:
        return f"invoice {self.pk}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    service = models.ForeignKey(Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)

    free_text = ("description",)
    data_map = ModelMap(
        personal={},
        not_personal=("id", "invoice", "service", "description", "quantity", "unit_price"),
        subject_path="invoice__organisation",
    )

    def __str__(self) -> str:
        return f"invoice line {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if contains_card_number(self.description):
            raise ValidationError({"description": CARD_MESSAGE})
        super().save(*args, **kwargs)


class UsageRecord(RegistryModel):
    """A quantity used of a service in a period, for correct invoicing (P0.2)."""

    class Metric(models.TextChoices):
        TRAFFIC_GB = "traffic_gb", "traffic (GB)"
        STORAGE_GB = "storage_gb", "storage (GB)"
        CPU_HOURS = "cpu_hours", "CPU hours"
        MAILBOXES = "mailboxes", "mailboxes"
        REQUESTS = "requests", "requests"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="usage")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    quantity = models.DecimalField(max_digits=18, decimal_places=3)

    data_map = ModelMap(
        personal={
            "quantity": Field(
                "user.behavior.purchase_history", Erasure.HOLD, hold="end_of_fiscal_year_of_invoice"
            )
        },
        not_personal=(*PROVENANCE, "service", "metric", "period_start", "period_end"),
        subject_path="service__organisation",
    )

    def __str__(self) -> str:
        return f"usage record {self.pk}"


class Interaction(RegistryModel):
    """A call, e-mail, letter, fax or visit with a person or organisation, with its channel (P0.1)."""

    class Direction(models.TextChoices):
        INBOUND = "in", "from them"
        OUTBOUND = "out", "to them"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="interactions"
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="interactions"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    occurred_at = models.DateTimeField()
    subject = models.CharField(max_length=300, blank=True)
    summary = models.TextField(blank=True)

    history = HistoricalRecords()
    free_text = ("subject", "summary")
    data_map = ModelMap(
        personal={
            "subject": Field("user.content", Erasure.DELETE_ROW),
            "summary": Field("user.content", Erasure.DELETE_ROW),
        },
        not_personal=(*PROVENANCE, "organisation", "person", "direction", "occurred_at"),
        subject_path="person",
    )

    def __str__(self) -> str:
        return f"interaction {self.pk}"


class Disclosure(RegistryModel):
    """Personal data passed to a recipient of the policy, e.g. a domain registry (P0.5, P4.1)."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="disclosures"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="disclosures")
    recipient = models.CharField(max_length=63, help_text="The recipient's key in the policy")
    disclosed_at = models.DateTimeField()
    categories = models.JSONField(default=list, help_text="The data categories passed on")
    public = models.BooleanField(default=False, help_text="The recipient publishes it (WHOIS)")

    history = HistoricalRecords()
    data_map = ModelMap(
        personal={},
        not_personal=(
            *PROVENANCE,
            "service",
            "organisation",
            "recipient",
            "disclosed_at",
            "categories",
            "public",
        ),
        subject_path="organisation",
    )

    def __str__(self) -> str:
        return f"disclosure {self.pk}"
