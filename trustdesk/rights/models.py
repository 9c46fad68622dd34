"""Data-subject requests as cases: the request, its timeline, clock pauses, downloads and decisions.

A request moves through ``Status`` only by ``services.transition``, which refuses illegal moves
and writes a timeline event and a journal entry for each move. The due date is computed from
the receipt, the pauses and any extension (``clock.due_date``), never typed in.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from trustdesk.lib.datamap import Erasure, Field, ModelMap


class Kind(models.TextChoices):
    ACCESS = "access", "access (Art. 15)"
    RECTIFICATION = "rectification", "rectification (Art. 16)"
    ERASURE = "erasure", "erasure (Art. 17)"
    RESTRICTION = "restriction", "restriction (Art. 18)"
    PORTABILITY = "portability", "portability (Art. 20)"
    OBJECTION = "objection", "objection (Art. 21)"
    CONSENT_WITHDRAWAL = "consent_withdrawal", "consent withdrawal (Art. 7(3))"


class Status(models.TextChoices):
    RECEIVED = "received", "received"
    AWAITING_IDENTITY = "awaiting_identity", "waiting for identity"
    IN_PROGRESS = "in_progress", "in progress"
    AWAITING_CONFIRMATION = "awaiting_confirmation", "waiting for the person's confirmation"
    FULFILLED = "fulfilled", "fulfilled"
    REFUSED = "refused", "refused"
    WITHDRAWN = "withdrawn", "withdrawn by the person"
    LAPSED = "lapsed", "closed: identity never confirmed"

    @classmethod
    def closed(cls) -> frozenset[str]:
        return frozenset({cls.FULFILLED, cls.REFUSED, cls.WITHDRAWN, cls.LAPSED})


class Channel(models.TextChoices):
    PORTAL = "portal", "customer portal"
    PUBLIC_FORM = "public_form", "public form"
    LETTER = "letter", "letter"
    PHONE = "phone", "phone"
    EMAIL = "email", "e-mail"
    IN_PERSON = "in_person", "in person"
    API = "api", "API"
    COMMAND = "command", "command line"


class IdentityMethod(models.TextChoices):
    TWO_FACTOR = "two_factor", "signed in with two-factor authentication"
    SESSION = "session", "signed in"
    EMAIL_LINK = "email_link", "confirmed by a link sent to the address on record"
    ID_DOCUMENT = "id_document", "identity document checked by staff (not kept)"
    STAFF = "staff", "verified by staff (for example a call back to the number on record)"


class RefusalGround(models.TextChoices):
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded", "manifestly unfounded (Art. 12(5))"
    EXCESSIVE = "excessive", "excessive, in particular because repetitive (Art. 12(5))"
    NOT_JUSTIFIED = "not_justified", "erasure not justified (Art. 17(3))"
    IDENTITY = "identity", "identity could not be established (Art. 12(6))"


class Request(models.Model):
    """One data-subject request, from receipt to answer."""

    reference = models.CharField(max_length=20, unique=True, help_text="The case number the person is given")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.RECEIVED)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    person = models.ForeignKey(
        "registry.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )
    email = models.EmailField(blank=True, help_text="The address the answer goes to")
    language = models.CharField(max_length=2, default="en")
    details = models.TextField(blank=True, help_text="What the person asked, in their words")
    #: Rectification: {"field": "new value"}; objection and consent withdrawal: {"purposes": [...]};
    #: portability: {"send_to": "address"}.
    specifics = models.JSONField(default=dict, blank=True)
    original = models.FileField(
        upload_to="requests/originals/", blank=True, help_text="The letter or e-mail as received"
    )
    received_at = models.DateTimeField()
    received_on = models.DateField(help_text="The day of receipt in the controller's time zone")
    due_on = models.DateField(help_text="When the answer is due: one month, pauses and extension counted")
    extended_by = models.CharField(max_length=20, blank=True, help_text="An ISO-8601 duration, e.g. P2M")
    extension_reason = models.TextField(blank=True)
    identity_method = models.CharField(max_length=20, choices=IdentityMethod.choices, blank=True)
    identity_verified_at = models.DateTimeField(null=True, blank=True)
    identity_note = models.CharField(max_length=300, blank=True)
    refusal_ground = models.CharField(max_length=30, choices=RefusalGround.choices, blank=True)
    answer = models.TextField(blank=True, help_text="What the person was told when the request closed")
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=100, help_text="Who entered it: a reference")

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
        ),
        subject_path="person",
    )

    class Meta:
        ordering = ["due_on", "received_at"]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return f"request {self.reference}"

    @property
    def is_open(self) -> bool:
        return self.status not in Status.closed()


class Event(models.Model):
    """A line on a request's timeline: a transition, a decision, a message sent, a note."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.CharField(max_length=100)
    action = models.CharField(max_length=50)
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30, blank=True)
    note = models.TextField(blank=True)
    journal_seq = models.PositiveBigIntegerField(null=True, blank=True)

    data_map: ClassVar[ModelMap] = ModelMap(
        personal={"note": Field("user.content", Erasure.CLEAR)},
        not_personal=("id", "request", "at", "actor", "action", "from_status", "to_status", "journal_seq"),
        subject_path="request__person",
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"event {self.pk} of request {self.request_id}"


class Pause(models.Model):
    """The clock stands still while the request waits for identity information asked for."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="pauses")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=100, default="identity")

    data_map: ClassVar[ModelMap] = ModelMap(
        personal={},
        not_personal=("id", "request", "started_on", "ended_on", "reason"),
        subject_path="request__person",
    )

    def __str__(self) -> str:
        return f"pause {self.pk} of request {self.request_id}"


class Verification(models.Model):
    """A link sent to an address on record; only its SHA-256 is stored."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="verifications")
    token_sha256 = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=20, default="identity")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    data_map: ClassVar[ModelMap] = ModelMap(
        personal={},
        not_personal=("id", "request", "token_sha256", "purpose", "created_at", "expires_at", "used_at"),
        subject_path="request__person",
    )

    def __str__(self) -> str:
        return f"verification {self.pk} of request {self.request_id}"


class Download(models.Model):
    """A file prepared for the person (access report, data export), reachable by a secret link until it expires."""

    class Format(models.TextChoices):
        REPORT_HTML = "report_html", "readable report (HTML)"
        DATA_JSON = "data_json", "all data (JSON)"
        PORTABLE_JSON = "portable_json", "data you provided (JSON)"
        PORTABLE_CSV = "portable_csv", "data you provided (CSV, zipped)"

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="downloads")
    format = models.CharField(max_length=20, choices=Format.choices)
    path = models.CharField(max_length=300, help_text="Where the file is, inside the data directory")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)
    times_downloaded = models.PositiveIntegerField(default=0)

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
        indexes = [models.Index(fields=["deleted_at", "expires_at"])]

    def __str__(self) -> str:
        return f"download {self.pk} of request {self.request_id}"


class Restriction(models.Model):
    """Art. 18: while in force, every purpose but storage refuses the person's data."""

    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="restrictions")
    request = models.ForeignKey(Request, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    since = models.DateTimeField()
    reason = models.TextField(blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.CharField(max_length=100, blank=True)
    #: Art. 18(3): the person is told before the restriction is lifted.
    lift_notice_at = models.DateTimeField(null=True, blank=True)

    data_map: ClassVar[ModelMap] = ModelMap(
        personal={"reason": Field("user.content", Erasure.CLEAR)},
        not_personal=("id", "person", "request", "since", "lifted_at", "lifted_by", "lift_notice_at"),
        subject_path="person",
    )

    def __str__(self) -> str:
        return f"restriction {self.pk}"


class Objection(models.Model):
    """Art. 21: to direct marketing (upheld at once) or to a purpose on legitimate interest (decided by staff)."""

    class Decision(models.TextChoices):
        PENDING = "pending", "waiting for a decision"
        UPHELD = "upheld", "upheld: the processing stops"
        REJECTED = "rejected", "rejected: compelling legitimate grounds"

    #: The objection to direct marketing covers every marketing purpose, now and later.
    DIRECT_MARKETING: ClassVar[str] = "direct_marketing"

    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="objections")
    request = models.ForeignKey(Request, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    purpose = models.CharField(max_length=63, help_text="A purpose key of the policy, or direct_marketing")
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    reasons = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=100, blank=True)

    data_map: ClassVar[ModelMap] = ModelMap(
        personal={"reasons": Field("user.content", Erasure.CLEAR)},
        not_personal=("id", "person", "request", "purpose", "decision", "decided_at", "decided_by"),
        subject_path="person",
    )

    def __str__(self) -> str:
        return f"objection {self.pk}"


class ErasureLedgerEntry(models.Model):
    """Keyed pseudonyms of the identifiers of an erased person, never the identifiers themselves.

    After an older backup is restored, ``trustdesk request reapply-erasures`` finds the people whose
    identifiers give these pseudonyms again, and erases them again.
    """

    request_reference = models.CharField(max_length=20, blank=True)
    erased_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    #: {"email": "p1:...", "external_ref": "p1:...", "phone": "p1:..."}
    pseudonyms = models.JSONField(default=dict)
    person_id_at_erasure = models.PositiveBigIntegerField()
    reapplied_at = models.DateTimeField(null=True, blank=True)

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
        verbose_name_plural = "erasure ledger entries"

    def __str__(self) -> str:
        return f"erasure ledger entry {self.pk}"
