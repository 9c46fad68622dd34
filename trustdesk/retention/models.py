"""Retention: the lock of periodic jobs, and the deletion requests sent to recipients at a customer's exit.

A ``JobLock`` row names the job that runs (``retention``, ``periodic``), who holds it (a random
token, the process id and host) and when it last showed life; a lock whose holder died (its process
is gone on this host, or it gave no sign of life for ``RETENTION_LOCK_STALE``) is taken over.

A ``RecipientErasureRequest`` tracks one request to one recipient of the policy (a domain registry,
a registrar, a certificate authority) to delete an organisation's data, from sending to the
recipient's confirmation (P4.2, P4.3). See docs/retention.md.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from trustdesk.lib.datamap import Erasure, Field, ModelMap
from trustdesk.registry.models import Organisation


class JobLock(models.Model):
    name = models.CharField(
        max_length=50, primary_key=True, help_text=_("The job the lock guards"), verbose_name=_("name")
    )
    holder = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("A random token of the run holding it"),
        verbose_name=_("holder"),
    )
    pid = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("process ID"))
    host = models.CharField(
        max_length=255, blank=True, help_text=_("The machine the holder runs on"), verbose_name=_("host")
    )
    acquired_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acquired at"))
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text=_("The holder's last sign of life"), verbose_name=_("heartbeat at")
    )
    #: For a periodic job: when it last finished without error (``trustdesk run-periodic``).
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    data_map = ModelMap(
        personal={},
        not_personal=("name", "holder", "pid", "host", "acquired_at", "heartbeat_at", "finished_at"),
    )

    class Meta:
        verbose_name = _("job lock")
        verbose_name_plural = _("job locks")

    def __str__(self) -> str:
        return f"lock {self.name}"


class ErasureStatus(models.TextChoices):
    PENDING = "pending", _("to be sent")
    SENT = "sent", _("sent")
    REMINDED = "reminded", _("reminded")
    CONFIRMED = "confirmed", _("confirmed")
    FAILED = "failed", _("failed to send")


class ErasureChannel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    WEBHOOK = "webhook", _("webhook")


class RecipientErasureRequest(models.Model):
    """A request to a recipient to delete an organisation's data it received, tracked until confirmed."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="recipient_erasure_requests",
        verbose_name=_("organisation"),
    )
    recipient = models.CharField(
        max_length=63, help_text=_("The recipient's key in the policy"), verbose_name=_("recipient")
    )
    event = models.CharField(
        max_length=40,
        help_text=_("The policy's erasure_request event that happened"),
        verbose_name=_("event"),
    )
    event_on = models.DateField(
        help_text=_("The day the event happened (the last domain ended, ...)"), verbose_name=_("event on")
    )
    channel = models.CharField(max_length=10, choices=ErasureChannel.choices, verbose_name=_("channel"))
    status = models.CharField(
        max_length=10, choices=ErasureStatus.choices, default=ErasureStatus.PENDING, verbose_name=_("status")
    )
    #: What identifies the data at the recipient (domain names, the customer's reference): sent with
    #: the request and each reminder, cleared once the recipient confirms.
    identifiers = models.JSONField(default=dict, blank=True, verbose_name=_("identifiers"))
    disclosures = models.PositiveIntegerField(
        default=0, help_text=_("How many disclosures it covers"), verbose_name=_("disclosures")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    last_sent_at = models.DateTimeField(
        null=True, blank=True, help_text=_("The request or the last reminder"), verbose_name=_("last sent at")
    )
    reminders = models.PositiveIntegerField(default=0, verbose_name=_("reminders"))
    attempts = models.PositiveIntegerField(
        default=0, help_text=_("Deliveries tried, failed ones included"), verbose_name=_("attempts")
    )
    last_error = models.CharField(
        max_length=200, blank=True, help_text=_("Why the last delivery failed"), verbose_name=_("last error")
    )
    confirmed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("confirmed at"))
    confirmed_by = models.CharField(
        max_length=100, blank=True, help_text=_("A reference: operator:NAME"), verbose_name=_("confirmed by")
    )
    confirmation_note = models.CharField(max_length=300, blank=True, verbose_name=_("confirmation note"))

    data_map = ModelMap(
        personal={
            "identifiers": Field("user.unique_id", Erasure.CLEAR),
            "confirmation_note": Field("user.content", Erasure.CLEAR),
        },
        not_personal=(
            "id",
            "organisation",
            "recipient",
            "event",
            "event_on",
            "channel",
            "status",
            "disclosures",
            "created_at",
            "sent_at",
            "last_sent_at",
            "reminders",
            "attempts",
            "last_error",
            "confirmed_at",
            "confirmed_by",
        ),
        subject_path="organisation",
    )

    class Meta:
        verbose_name = _("recipient erasure request")
        verbose_name_plural = _("recipient erasure requests")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "recipient"], name="retention_erasure_request_unique"
            )
        ]
        indexes = [models.Index(fields=["status", "last_sent_at"], name="retention_erasure_status")]

    def __str__(self) -> str:
        return f"recipient erasure request {self.pk}"

    @property
    def reference(self) -> str:
        return f"RER-{self.pk}"
