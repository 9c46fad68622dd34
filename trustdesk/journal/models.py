"""Journal entries and the journal's head.

An entry is written once, by ``services.record`` (or ``services.record_many`` for a batch); afterwards only its payload can be erased,
by ``services.erase_payloads``. Every other change or deletion through the ORM is refused.
Changes made behind the ORM's back (SQL) are what ``verify.verify`` finds.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _

from trustdesk.journal.chain import GENESIS
from trustdesk.lib.datamap import Erasure, Field, ModelMap

#: What a journal payload can hold copies of: the personal values of a registry record that an
#: entry records as changed (``registry.services``: every category the registry's models declare),
#: the address and browser of a log-in or log-off (``accounts.signals``), and free text staff or a
#: person wrote (reasons, notes, the scope of an instruction, search criteria). A test keeps this
#: list in step with the registry's models.
PAYLOAD_COPIES: tuple[str, ...] = (
    "user.behavior",  # a person's tags
    "user.behavior.purchase_history",  # usage records
    "user.contact.address",
    "user.contact.address.city",
    "user.contact.address.country",
    "user.contact.address.postal_code",
    "user.contact.address.street",
    "user.contact.email",
    "user.contact.fax_number",
    "user.contact.organization",
    "user.contact.phone_number",
    "user.contact.url",
    "user.content",
    "user.demographic.language",
    "user.device",  # the browser of a log-in
    "user.device.ip_address",
    "user.job_title",
    "user.name",
    "user.name.first",
    "user.name.last",
    "user.unique_id",
)

#: The primary key of the one JournalHead row.
HEAD_ID = 1


class JournalError(Exception):
    """The journal refuses the operation; the message says why."""


class JournalImmutableError(JournalError):
    """A journal entry is evidence: it is never changed or deleted."""


class JournalEntryQuerySet(models.QuerySet["JournalEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise JournalImmutableError(
            "journal entries cannot be updated; erase payloads with trustdesk.journal.services.erase_payloads"
        )

    def delete(self) -> NoReturn:
        raise JournalImmutableError("journal entries cannot be deleted")

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise JournalImmutableError(
            "journal entries are appended one at a time with trustdesk.journal.services.record, "
            "or chained in a batch with trustdesk.journal.services.record_many"
        )

    def _append_chained(self, entries: list[JournalEntry]) -> None:
        """Insert entries already chained to the locked head; only ``services.record_many`` calls this.

        Each entry must carry the mark ``record_many`` sets, so that nothing else slips in this way.
        """
        if not all(entry._recording and entry._state.adding for entry in entries):
            raise JournalImmutableError("journal entries are appended with trustdesk.journal.services")
        from trustdesk.journal.bulk import insert_new

        insert_new(JournalEntry, entries)

    def _erase_payloads(self) -> int:
        """Clear payload and salt; only ``services.erase_payloads`` calls this."""
        return super().update(payload=None, payload_salt=None)


class JournalEntry(models.Model):
    seq = models.PositiveBigIntegerField(unique=True, help_text=_("1, 2, 3, ... without gaps"))
    at = models.DateTimeField(help_text=_("When the entry was recorded (UTC)"))
    actor = models.CharField(
        max_length=100, help_text=_("Who acted, as a reference: user:42, operator:root, api-token:7, system")
    )
    action = models.CharField(max_length=100, help_text=_("What happened: registry.person.created"))
    object_type = models.CharField(max_length=100, blank=True, help_text=_("registry.person"))
    object_id = models.CharField(max_length=200, blank=True, help_text=_("A reference, never a name"))
    payload = models.JSONField(null=True, blank=True, help_text=_("Personal details; erasable"))
    payload_salt = models.CharField(  # noqa: DJ001  (NULL once erased, like the payload)
        max_length=32, null=True, blank=True, help_text=_("16 random bytes as hex, erased with the payload")
    )
    payload_digest = models.CharField(
        max_length=64, blank=True, help_text=_("SHA-256 of salt and payload; empty when there was none")
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = JournalEntryQuerySet.as_manager()

    # Only the payload holds personal data; the core holds references. The payload keeps copies
    # of what the recorded change was about (PAYLOAD_COPIES), as evidence; the salt is erased with
    # it, because salt and digest together would let a guess of the erased values be confirmed.
    # Erasure goes through services.erase_payloads, which keeps the digest.
    data_map: ClassVar[ModelMap] = ModelMap(
        personal={
            "payload": Field("user", Erasure.CLEAR, copies=PAYLOAD_COPIES),
            "payload_salt": Field("user", Erasure.CLEAR, copies=PAYLOAD_COPIES),
        },
        not_personal=(
            "id",
            "seq",
            "at",
            "actor",
            "action",
            "object_type",
            "object_id",
            "payload_digest",
            "prev_hash",
            "hash",
        ),
    )

    #: Set by services.record and services.record_many on the instances they insert.
    _recording: bool = False

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["action"]),
            # The last days' entries (the dashboard's looks by staff, a member's list of looks) without reading
            # every entry of their kinds since the start: benchmarks/looks.py.
            models.Index(fields=["at"], name="journal_at_idx"),
        ]

    def __str__(self) -> str:
        return f"journal entry {self.seq}: {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise JournalImmutableError(f"journal entry {self.seq} cannot be changed")
        if not self._recording:
            raise JournalImmutableError("journal entries are appended with trustdesk.journal.services.record")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise JournalImmutableError(f"journal entry {self.seq} cannot be deleted")

    @property
    def payload_state(self) -> str:
        """'present', 'erased' or 'none'."""
        if self.payload is not None:
            return "present"
        return "erased" if self.payload_digest else "none"


class JournalHead(models.Model):
    """One row: the last entry's seq and hash, locked by every appender."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)
    at = models.DateTimeField(null=True, blank=True, help_text=_("The last entry's time"))

    data_map: ClassVar[ModelMap] = ModelMap(personal={}, not_personal=("id", "seq", "hash", "at"))

    class Meta:
        verbose_name = _("journal head")
        verbose_name_plural = _("journal heads")

    def __str__(self) -> str:
        return f"journal head at entry {self.seq}"
