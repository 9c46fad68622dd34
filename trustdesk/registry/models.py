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
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from trustdesk.lib.cards import CARD_MESSAGE, contains_card_number
from trustdesk.lib.datamap import Erasure, Field, ModelMap


class CopyActor(models.Model):
    """What a history copy keeps besides django-simple-history's own fields: who made the change, named
    as the journal names its actor. ``history_user`` names a user account only; most changes come from
    the API, an import or a command, which have none."""

    history_actor = models.CharField(
        max_length=100,
        blank=True,
        default="",
        help_text=_("Who made the change: user:42, operator:root, api-token:7, system"),
    )

    class Meta:
        abstract = True


@receiver(pre_create_historical_record)
def _copy_actor(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    """The actor a service set on the record (``_history_actor``) goes on its history copy."""
    if hasattr(history_instance, "history_actor"):
        history_instance.history_actor = getattr(instance, "_history_actor", "")


class RegistryHistory(HistoricalRecords):
    """django-simple-history's copies with who made each change (:class:`CopyActor`). A deletion of a
    record marked ``_no_deletion_copy`` gets no copy: the retention run marks the records it deletes
    whose every copy the history map deletes with them, in the same transaction, so that copy would be
    written only to be deleted."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(bases=[CopyActor], **kwargs)

    def post_delete(self, instance: Any, using: Any = None, **kwargs: Any) -> None:
        if getattr(instance, "_no_deletion_copy", False):
            return
        super().post_delete(instance, using=using, **kwargs)


class SourceKind(models.TextChoices):
    DATA_SUBJECT = "data_subject", _("the person")
    ORGANISATION = "organisation", _("their organisation")
    THIRD_PARTY = "third_party", _("a named third party")
    PUBLIC = "public", _("a public register")
    OBSERVED = "observed", _("recorded while using the services")


class Channel(models.TextChoices):
    WEBSITE = "website", _("website")
    PORTAL = "portal", _("customer portal")
    EMAIL = "email", _("e-mail")
    PHONE = "phone", _("phone")
    FAX = "fax", _("fax")
    LETTER = "letter", _("letter")
    IN_PERSON = "in_person", _("in person")
    API = "api", _("API")
    IMPORT = "import", _("import")


class RegistryModel(models.Model):
    """Shared by every registry record: the billing system's reference, provenance, and card refusal."""

    external_ref = models.CharField(
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        help_text=_("The billing system's identifier"),
        verbose_name=_("billing system reference"),
    )
    source_kind = models.CharField(
        max_length=20,
        choices=SourceKind.choices,
        default=SourceKind.DATA_SUBJECT,
        verbose_name=_("source kind"),
    )
    source_name = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("The named third party or public register the data came from"),
        verbose_name=_("source name"),
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True, verbose_name=_("channel"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

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
            errors["source_name"] = _("name the third party or register the data came from")
        if errors:
            raise ValidationError(errors)


PROVENANCE = ("id", "external_ref", "source_kind", "source_name", "channel", "created_at", "updated_at")


class Organisation(RegistryModel):
    class Kind(models.TextChoices):
        COMPANY = "company", _("company")
        PRIVATE = "private", _("private person")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        ENDED = "ended", _("ended")

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COMPANY, verbose_name=_("kind"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    company_number = models.CharField(max_length=50, blank=True, verbose_name=_("company number"))
    vat_number = models.CharField(max_length=50, blank=True, verbose_name=_("VAT number"))
    street = models.CharField(max_length=200, blank=True, verbose_name=_("street"))
    postal_code = models.CharField(max_length=20, blank=True, verbose_name=_("postal code"))
    city = models.CharField(max_length=100, blank=True, verbose_name=_("city"))
    country = models.CharField(max_length=2, blank=True, verbose_name=_("country"))
    email = models.EmailField(blank=True, verbose_name=_("e-mail address"))
    phone = models.CharField(max_length=50, blank=True, verbose_name=_("phone"))
    fax = models.CharField(max_length=50, blank=True, verbose_name=_("fax"))
    website = models.URLField(blank=True, verbose_name=_("website"))
    notes = models.TextField(blank=True, verbose_name=_("notes"))
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.ACTIVE, verbose_name=_("status")
    )
    ended_on = models.DateField(null=True, blank=True, verbose_name=_("ended on"))

    history = RegistryHistory()
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

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return f"organisation {self.pk}"


class Person(RegistryModel):
    class Kind(models.TextChoices):
        CUSTOMER_CONTACT = "customer_contact", _("customer contact")
        PLATFORM_USER = "platform_user", _("platform user")
        PROSPECT = "prospect", _("prospect")
        SUPPLIER_CONTACT = "supplier_contact", _("supplier contact")
        ABUSE_REPORTER = "abuse_reporter", _("abuse reporter")

    kind = models.CharField(
        max_length=20, choices=Kind.choices, default=Kind.CUSTOMER_CONTACT, verbose_name=_("kind")
    )
    first_name = models.CharField(max_length=100, blank=True, verbose_name=_("first name"))
    last_name = models.CharField(max_length=100, blank=True, verbose_name=_("last name"))
    email = models.EmailField(blank=True, db_index=True, verbose_name=_("e-mail address"))
    phone = models.CharField(max_length=50, blank=True, verbose_name=_("phone"))
    mobile = models.CharField(max_length=50, blank=True, verbose_name=_("mobile"))
    fax = models.CharField(max_length=50, blank=True, verbose_name=_("fax"))
    street = models.CharField(max_length=200, blank=True, verbose_name=_("street"))
    postal_code = models.CharField(max_length=20, blank=True, verbose_name=_("postal code"))
    city = models.CharField(max_length=100, blank=True, verbose_name=_("city"))
    country = models.CharField(max_length=2, blank=True, verbose_name=_("country"))
    language = models.CharField(max_length=10, blank=True, verbose_name=_("language"))
    job_title = models.CharField(max_length=100, blank=True, verbose_name=_("job title"))
    tags = models.CharField(max_length=300, blank=True, verbose_name=_("tags"))
    notes = models.TextField(blank=True, verbose_name=_("notes"))

    history = RegistryHistory()
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

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return f"person {self.pk}"


class Role(RegistryModel):
    """How a person stands in an organisation."""

    class Kind(models.TextChoices):
        OWNER = "owner", _("owner")
        BILLING = "billing", _("billing contact")
        TECHNICAL = "technical", _("technical contact")
        USER = "user", _("user")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="roles", verbose_name=_("organisation")
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="roles", verbose_name=_("person")
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("kind"))
    since = models.DateField(null=True, blank=True, verbose_name=_("since"))
    until = models.DateField(null=True, blank=True, verbose_name=_("until"))

    history = RegistryHistory()
    data_map = ModelMap(
        personal={},
        not_personal=(*PROVENANCE, "organisation", "person", "kind", "since", "until"),
        subject_path="person",
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "person", "kind"], name="registry_role_unique"),
        ]

    def __str__(self) -> str:
        return f"role {self.pk}"


class Service(RegistryModel):
    class Kind(models.TextChoices):
        WEB_HOSTING = "web_hosting", _("web hosting")
        DOMAIN = "domain", _("domain name")
        SSL_CERTIFICATE = "ssl_certificate", _("SSL certificate")
        VPS = "vps", _("virtual private server")
        EMAIL = "email", _("e-mail")

    class CertificateType(models.TextChoices):
        DV = "dv", _("domain validation")
        OV = "ov", _("organisation validation")
        EV = "ev", _("extended validation")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="services", verbose_name=_("organisation")
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("kind"))
    label = models.CharField(max_length=200, blank=True, verbose_name=_("label"))
    starts_on = models.DateField(null=True, blank=True, verbose_name=_("starts on"))
    ends_on = models.DateField(null=True, blank=True, verbose_name=_("ends on"))
    certificate_type = models.CharField(
        max_length=2, choices=CertificateType.choices, blank=True, verbose_name=_("certificate type")
    )
    certificate_expires_on = models.DateField(null=True, blank=True, verbose_name=_("certificate expires on"))
    notes = models.TextField(blank=True, verbose_name=_("notes"))

    history = RegistryHistory()
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

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return f"service {self.pk}"


class ServiceIdentifier(RegistryModel):
    """A domain name, IP address or network of a service, with the period it was assigned."""

    class Kind(models.TextChoices):
        DOMAIN = "domain", _("domain name")
        IP_ADDRESS = "ip_address", _("IP address")
        IP_NETWORK = "ip_network", _("IP network")

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="identifiers", verbose_name=_("service")
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("kind"))
    value = models.CharField(max_length=253, db_index=True, verbose_name=_("value"))
    assigned_from = models.DateTimeField(null=True, blank=True, verbose_name=_("assigned from"))
    assigned_until = models.DateTimeField(null=True, blank=True, verbose_name=_("assigned until"))

    history = RegistryHistory()
    data_map = ModelMap(
        personal={"value": Field("user.unique_id", Erasure.PSEUDONYMISE)},
        not_personal=(*PROVENANCE, "service", "kind", "assigned_from", "assigned_until"),
        subject_path="service__organisation",
    )

    class Meta:
        verbose_name = _("service identifier")
        verbose_name_plural = _("service identifiers")

    def __str__(self) -> str:
        return f"service identifier {self.pk}"


class Invoice(RegistryModel):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("organisation")
    )
    number = models.CharField(max_length=50, verbose_name=_("number"))
    issued_on = models.DateField(verbose_name=_("issued on"))
    fiscal_year_end = models.DateField(
        help_text=_("The end of the fiscal year the invoice belongs to"), verbose_name=_("fiscal year end")
    )
    currency = models.CharField(max_length=3, default="EUR", verbose_name=_("currency"))
    total = models.DecimalField(max_digits=14, decimal_places=2, verbose_name=_("total"))
    billing_name = models.CharField(max_length=200, verbose_name=_("billing name"))
    billing_address = models.TextField(blank=True, verbose_name=_("billing address"))

    history = RegistryHistory()
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
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [models.UniqueConstraint(fields=["number"], name="registry_invoice_number_unique")]

    def __str__(self) -> str:
        return f"invoice {self.pk}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice")
    )
    service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("service")
    )
    description = models.CharField(max_length=300, verbose_name=_("description"))
    quantity = models.DecimalField(max_digits=14, decimal_places=3, verbose_name=_("quantity"))
    unit_price = models.DecimalField(max_digits=14, decimal_places=4, verbose_name=_("unit price"))

    free_text = ("description",)
    data_map = ModelMap(
        personal={},
        not_personal=("id", "invoice", "service", "description", "quantity", "unit_price"),
        subject_path="invoice__organisation",
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self) -> str:
        return f"invoice line {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if contains_card_number(self.description):
            raise ValidationError({"description": CARD_MESSAGE})
        super().save(*args, **kwargs)


class UsageRecord(RegistryModel):
    """A quantity used of a service in a period, for correct invoicing (P0.2)."""

    class Metric(models.TextChoices):
        TRAFFIC_GB = "traffic_gb", _("traffic (GB)")
        STORAGE_GB = "storage_gb", _("storage (GB)")
        CPU_HOURS = "cpu_hours", _("CPU hours")
        MAILBOXES = "mailboxes", _("mailboxes")
        REQUESTS = "requests", _("requests")

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="usage", verbose_name=_("service")
    )
    metric = models.CharField(max_length=20, choices=Metric.choices, verbose_name=_("metric"))
    period_start = models.DateField(verbose_name=_("period start"))
    period_end = models.DateField(verbose_name=_("period end"))
    quantity = models.DecimalField(max_digits=18, decimal_places=3, verbose_name=_("quantity"))

    data_map = ModelMap(
        personal={
            "quantity": Field(
                "user.behavior.purchase_history", Erasure.HOLD, hold="end_of_fiscal_year_of_invoice"
            )
        },
        not_personal=(*PROVENANCE, "service", "metric", "period_start", "period_end"),
        subject_path="service__organisation",
    )

    class Meta:
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")

    def __str__(self) -> str:
        return f"usage record {self.pk}"


class Interaction(RegistryModel):
    """A call, e-mail, letter, fax or visit with a person or organisation, with its channel (P0.1)."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("from them")
        OUTBOUND = "out", _("to them")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="interactions",
        verbose_name=_("organisation"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="interactions",
        verbose_name=_("person"),
    )
    direction = models.CharField(max_length=3, choices=Direction.choices, verbose_name=_("direction"))
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))
    subject = models.CharField(max_length=300, blank=True, verbose_name=_("subject"))
    summary = models.TextField(blank=True, verbose_name=_("summary"))

    history = RegistryHistory()
    free_text = ("subject", "summary")
    data_map = ModelMap(
        personal={
            "subject": Field("user.content", Erasure.DELETE_ROW),
            "summary": Field("user.content", Erasure.DELETE_ROW),
        },
        not_personal=(*PROVENANCE, "organisation", "person", "direction", "occurred_at"),
        subject_path="person",
    )

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")

    def __str__(self) -> str:
        return f"interaction {self.pk}"


class Disclosure(RegistryModel):
    """Personal data passed to a recipient of the policy, e.g. a domain registry (P0.5, P4.1)."""

    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="disclosures",
        verbose_name=_("service"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="disclosures", verbose_name=_("organisation")
    )
    recipient = models.CharField(
        max_length=63, help_text=_("The recipient's key in the policy"), verbose_name=_("recipient")
    )
    disclosed_at = models.DateTimeField(verbose_name=_("disclosed at"))
    categories = models.JSONField(
        default=list, help_text=_("The data categories passed on"), verbose_name=_("categories")
    )
    public = models.BooleanField(
        default=False, help_text=_("The recipient publishes it (WHOIS)"), verbose_name=_("public")
    )

    history = RegistryHistory()
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

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")

    def __str__(self) -> str:
        return f"disclosure {self.pk}"
