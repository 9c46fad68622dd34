"""Reading the journal."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from trustdesk.journal.chain import GENESIS
from trustdesk.journal.models import HEAD_ID, JournalEntry, JournalHead


@dataclass(frozen=True)
class Anchor:
    """The journal's head at one moment: store it outside Trustdesk to detect a rewritten chain."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


def anchor() -> Anchor:
    """The current head: the last entry's seq and hash (0 and 64 zeros for an empty journal)."""
    head = JournalHead.objects.filter(pk=HEAD_ID).first()
    if head is None:
        return Anchor(0, GENESIS)
    return Anchor(head.seq, head.hash)


def last_entries(count: int) -> list[JournalEntry]:
    """The newest ``count`` entries, oldest first."""
    newest = list(JournalEntry.objects.order_by("-seq")[:count])
    newest.reverse()
    return newest


def entries_about(object_type: str, object_id: str) -> QuerySet[JournalEntry]:
    return JournalEntry.objects.filter(object_type=object_type, object_id=object_id).order_by("seq")
