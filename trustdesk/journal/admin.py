"""The journal in the staff view: a read-only list; entries are never added, changed or deleted here."""

from __future__ import annotations

from django.contrib import admin

from trustdesk.journal.models import JournalEntry
from trustdesk.lib.admin import ReadOnlyAdmin


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "actor", "action", "object_type", "object_id", "payload_state")
    list_filter = ("action", "object_type")
    search_fields = ("=object_type", "=object_id", "=actor", "action")
    ordering = ("-seq",)
    list_per_page = 100
    show_full_result_count = False
