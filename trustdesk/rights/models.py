"""Data-subject requests as cases: the request, its timeline, clock pauses, downloads and decisions.

A request moves through ``Status`` only by ``services.transition``, which refuses illegal moves
and writes a timeline event and a journal entry for each move. The due date is computed from
the receipt, the pauses and any extension (``clock.due_date``), never typed in.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from trustdesk.lib.datamap import Erasure, Field, ModelMap


class Kind(models.TextChoices):
    ACCESS = "access", _("access (Art. 15)")
    RECTIFICATION = "rectification", _("rectification (Art. 16)")
    ERASURE = "erasure", _("erasure (Art. 17)")
    RESTRICTION = "restriction", _("restriction (Art. 18)")
    PORTABILITY = "portability", _("portability (Art. 20)")
    OBJECTION = "objection", _("objection (Art. 21)")
    CONSENT_WITHDRAWAL = "consent_withdrawal", _("consent withdrawal (Art. 7(3))")


class Status(models.TextChoices):
    RECEIVED = "received", _("received")
    AWAITING_IDENTITY = "awaiting_identity", _("waiting for identity")
    IN_PROGRESS = "in_progress", _("in progress")
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("waiting for the person's confirmation")
    FULFILLED = "fulfilled", _("fulfilled")
    REFUSED = "refused", _("refused")
    WITHDRAWN = "withdrawn", _("withdrawn by the person")
    LAPSED = "lapsed", _("closed: identity never confirmed")

    @classmethod
    def closed(cls) -> frozenset[str]:
        return frozenset({cls.FULFILLED, cls.REFUSED, cls.WITHDRAWN, cls.LAPSED})


class Channel(models.TextChoices):
    PORTAL = "portal", _("customer portal")
    PUBLIC_FORM = "public_form", _("public form")
    LETTER = "letter", _("letter")
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")
    IN_PERSON = "in_person", _("in person")
    API = "api", _("API")
    COMMAND = "command", _("command line")


class IdentityMethod(models.TextChoices):
    TWO_FACTOR = "two_factor", _("signed in with two-factor authentication")
    SESSION = "session", _("signed in")
    EMAIL_LINK = "email_link", _("confirmed by a link sent to the address on record")
    ID_DOCUMENT = "id_document", _("identity document checked by staff (not kept)")
    STAFF = "staff", _("verified by staff (for example a call back to the number on record)")


class RefusalGround(models.TextChoices):
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded", _("manifestly unfounded (Art. 12(5))")
    EXCESSIVE = "excessive", _("excessive, in particular because repetitive (Art. 12(5))")
    NOT_JUSTIFIED = "not_justified", _("erasure not justified (Art. 17(3))")
    IDENTITY = "identity", _("identity could not be established (Art. 12(6))")


class Request(models.Model):
    """One data-subject request, from receipt to answer."""

    reference = models.CharField(
        max_length=20,
        unique=True,
        help_text=_("The case number the person is given"),
        verbose_name=_("reference"),
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("kind"))
    status = models.CharField(
        max_length=30, choices=Status.choices, default=Status.RECEIVED, verbose_name=_("status")
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, verbose_name=_("channel"))
    person = models.ForeignKey(
        "registry.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("person"),
    )
    email = models.EmailField(
        blank=True, help_text=_("The address the answer goes to"), verbose_name=_("e-mail address")
    )
    language = models.CharField(max_length=2, default="en", verbose_name=_("language"))
    details = models.TextField(
        blank=True, help_text=_("What the person asked, in their words"), verbose_name=_("details")
    )
    #: Rectification: {"field": "new value"}; objection and consent withdrawal: {"purposes": [...]};
    #: portability: {"send_to": "address"}.
    specifics = models.JSONField(default=dict, blank=True, verbose_name=_("specifics"))
    original = models.FileField(
        upload_to="requests/originals/",
        blank=True,
        help_text=_("The letter or e-mail as received"),
        verbose_name=_("original"),
    )
    received_at = models.DateTimeField(verbose_name=_("received at"))
    received_on = models.DateField(
        help_text=_("The day of receipt in the controller's time zone"), verbose_name=_("received on")
    )
    due_on = models.DateField(
        help_text=_("When the answer is due: one month, pauses and extension counted"),
        verbose_name=_("due on"),
    )
    extended_by = models.CharField(
        max_length=20,
        blank=True,
        help_text=_("An ISO-8601 duration, e.g. P2M"),
        verbose_name=_("extended by"),
    )
    extension_reason = models.TextField(blank=True, verbose_name=_("extension reason"))
    identity_method = models.CharField(
        max_length=20, choices=IdentityMethod.choices, blank=True, verbose_name=_("identity method")
    )
    identity_verified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("identity verified at"))
    identity_note = models.CharField(max_length=300, blank=True, verbose_name=_("identity note"))
    refusal_ground = models.CharField(
        max_length=30, choices=RefusalGround.choices, blank=True, verbose_name=_("refusal ground")
    )
    answer = models.TextField(
        blank=True, help_text=_("What the person was told when the request closed"), verbose_name=_("answer")
    )
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    created_by = models.CharField(
        max_length=100, help_text=_("Who entered it: a reference"), verbose_name=_("created by")
    )
    mail_failed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "When an e-mail to the person last could not be sent; cleared when staff record how the person "
            "was told"
        ),
        verbose_name=_("e-mail not sent at"),
    )

    data_map: ClassVar[ModelMap] = ModelMap(
        personal={
            "email": Field("user.contact.email", Erasure.PSEUDONYMISE),
            "details": Field("user.content", Erasure.CLEAR),
            "specifics": Field("user.content", Erasure.CLEAR),
            "original": Field("user.content", Erasure.CLEAR),
            "identity_note": Field("user.content", Erasure.CLEAR),
            "answer": Field("user.content", Erasure.CLEAR),
            "extension_reason": Field("user.content", Erasure.CLEAR),
        },
        not_personal=(
            "id",
            "reference",
            "kind",
            "status",
            "channel",
            "person",
            "language",
            "received_at",
            "received_on",
            "due_on",
            "extended_by",
            "identity_method",
            "identity_verified_at",
            "refusal_ground",
            "closed_at",
            "created_by",
            "mail_failed_at",
        ),
        subject_path="person",
    )

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["due_on", "received_at"]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            # The few requests with an e-mail not sent, counted on every page of the queue.
            models.Index(fields=["mail_failed_at"], name="rights_request_unsent"),
        ]

    def __str__(self) -> str:
        return f"request {self.reference}"

    @property
    def is_open(self) -> bool:
        return self.status not in Status.closed()


class Event(models.Model):
    """A line on a request's timeline: a transition, a decision, a message sent, a note."""

    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="events", verbose_name=_("request")
    )
    at = models.DateTimeField(verbose_name=_("when"))
    actor = models.CharField(max_length=100, verbose_name=_("actor"))
    action = models.CharField(max_length=50, verbose_name=_("action"))
    from_status = models.CharField(max_length=30, blank=True, verbose_name=_("from status"))
    to_status = models.CharField(max_length=30, blank=True, verbose_name=_("to status"))
    note = models.TextField(blank=True, verbose_name=_("note"))
    journal_seq = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("journal entry"))

    data_map: ClassVar[ModelMap] = ModelMap(
        personal={"note": Field("user.content", Erasure.CLEAR)},
        not_personal=("id", "request", "at", "actor", "action", "from_status", "to_status", "journal_seq"),
        subject_path="request__person",
    )

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"event {self.pk} of request {self.request_id}"


class Pause(models.Model):
    """The clock stands still while the request waits for identity information asked for."""

    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="pauses", verbose_name=_("request")
    )
    started_on = models.DateField(verbose_name=_("started on"))
    ended_on = models.DateField(null=True, blank=True, verbose_name=_("ended on"))
    reason = models.CharField(max_length=100, default="identity", verbose_name=_("reason"))

    data_map: ClassVar[ModelMap] = ModelMap(
        personal={},
        not_personal=("id", "request", "started_on", "ended_on", "reason"),
        subject_path="request__person",
    )

    class Meta:
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")

    def __str__(self) -> str:
        return f"pause {self.pk} of request {self.request_id}"


class Verification(models.Model):
    """A link sent to an address on record; only its SHA-256 is stored."""

    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="verifications", verbose_name=_("request")
    )
    token_sha256 = models.CharField(max_length=64, unique=True, verbose_name=_("SHA-256 of the token"))
    purpose = models.CharField(max_length=20, default="identity", verbose_name=_("purpose"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("used at"))

    data_map: ClassVar[ModelMap] = ModelMap(
        personal={},
        not_personal=("id", "request", "token_sha256", "purpose", "created_at", "expires_at", "used_at"),
        subject_path="request__person",
    )

    class Meta:
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")

    def __str__(self) -> str:
        return f"verification {self.pk} of request {self.request_id}"


class Download(models.Model):
    """A file prepared for the person (access report, data export), reachable by a secret link until it expires."""

    class Format(models.TextChoices):
        REPORT_HTML = "report_html", _("readable report (HTML)")
        DATA_JSON = "data_json", _("all data (JSON)")
        PORTABLE_JSON = "portable_json", _("data you provided (JSON)")
        PORTABLE_CSV = "portable_csv", _("data you provided (CSV, zipped)")

    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="downloads", verbose_name=_("request")
    )
    format = models.CharField(max_length=20, choices=Format.choices, verbose_name=_("format"))
    path = models.CharField(
        max_length=300, help_text=_("Where the file is, inside the data directory"), verbose_name=_("path")
    )
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256"))
    size = models.PositiveBigIntegerField(verbose_name=_("size"))
    token_sha256 = models.CharField(max_length=64, unique=True, verbose_name=_("SHA-256 of the token"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    deleted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("deleted at"))
    times_downloaded = models.PositiveIntegerField(default=0, verbose_name=_("times downloaded"))

    data_map: ClassVar[ModelMap] = ModelMap(
        personal={},
        not_personal=(
            "id",
            "request",
            "format",
            "path",
            "sha256",
            "size",
            "token_sha256",
            "created_at",
            "expires_at",
            "deleted_at",
            "times_downloaded",
        ),
        subject_path="request__person",
    )

    class Meta:
        verbose_name = _("download")
        verbose_name_plural = _("downloads")
        indexes = [models.Index(fields=["deleted_at", "expires_at"])]

    def __str__(self) -> str:
        return f"download {self.pk} of request {self.request_id}"


class Restriction(models.Model):
    """Art. 18: while in force, every purpose but storage refuses the person's data."""

    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="restrictions", verbose_name=_("person")
    )
    request = models.ForeignKey(
        Request, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("request")
    )
    since = models.DateTimeField(verbose_name=_("since"))
    reason = models.TextField(blank=True, verbose_name=_("reason"))
    lifted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("lifted at"))
    lifted_by = models.CharField(max_length=100, blank=True, verbose_name=_("lifted by"))
    #: Art. 18(3): the person is told before the restriction is lifted.
    lift_notice_at = models.DateTimeField(null=True, blank=True, verbose_name=_("lift notice at"))

    data_map: ClassVar[ModelMap] = ModelMap(
        personal={"reason": Field("user.content", Erasure.CLEAR)},
        not_personal=("id", "person", "request", "since", "lifted_at", "lifted_by", "lift_notice_at"),
        subject_path="person",
    )

    class Meta:
        verbose_name = _("restriction")
        verbose_name_plural = _("restrictions")

    def __str__(self) -> str:
        return f"restriction {self.pk}"


class Objection(models.Model):
    """Art. 21: to direct marketing (upheld at once) or to a purpose on legitimate interest (decided by staff)."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("waiting for a decision")
        UPHELD = "upheld", _("upheld: the processing stops")
        REJECTED = "rejected", _("rejected: compelling legitimate grounds")

    #: The objection to direct marketing covers every marketing purpose, now and later.
    DIRECT_MARKETING: ClassVar[str] = "direct_marketing"

    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="objections", verbose_name=_("person")
    )
    request = models.ForeignKey(
        Request, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("request")
    )
    purpose = models.CharField(
        max_length=63,
        help_text=_("A purpose key of the policy, or direct_marketing"),
        verbose_name=_("purpose"),
    )
    decision = models.CharField(
        max_length=10, choices=Decision.choices, default=Decision.PENDING, verbose_name=_("decision")
    )
    reasons = models.TextField(blank=True, verbose_name=_("reasons"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    decided_by = models.CharField(max_length=100, blank=True, verbose_name=_("decided by"))

    data_map: ClassVar[ModelMap] = ModelMap(
        personal={"reasons": Field("user.content", Erasure.CLEAR)},
        not_personal=("id", "person", "request", "purpose", "decision", "decided_at", "decided_by"),
        subject_path="person",
    )

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"objection {self.pk}"


class ErasureLedgerEntry(models.Model):
    """Keyed pseudonyms of the identifiers of an erased person, never the identifiers themselves.

    After an older backup is restored, ``trustdesk request reapply-erasures`` finds the people whose
    identifiers give these pseudonyms again, and erases them again.
    """

    request_reference = models.CharField(max_length=20, blank=True, verbose_name=_("request reference"))
    erased_at = models.DateTimeField(verbose_name=_("erased at"))
    key_id = models.CharField(max_length=16, verbose_name=_("key ID"))
    #: {"email": "p1:...", "external_ref": "p1:...", "phone": "p1:..."}
    pseudonyms = models.JSONField(default=dict, verbose_name=_("pseudonyms"))
    person_id_at_erasure = models.PositiveBigIntegerField(verbose_name=_("person ID at erasure"))
    reapplied_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reapplied at"))

    data_map: ClassVar[ModelMap] = ModelMap(
        personal={},
        not_personal=(
            "id",
            "request_reference",
            "erased_at",
            "key_id",
            "pseudonyms",
            "person_id_at_erasure",
            "reapplied_at",
        ),
    )

    class Meta:
        verbose_name = _("erasure ledger entry")
        verbose_name_plural = _("erasure ledger entries")

    def __str__(self) -> str:
        return f"erasure ledger entry {self.pk}"
