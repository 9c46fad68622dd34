"""The journal in the staff view: a read-only list; entries are never added, changed or deleted here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from trustdesk.journal.models import JournalEntry


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin[JournalEntry]):
    list_display = ("seq", "at", "actor", "action", "object_type", "object_id", "payload_state")
    list_filter = ("action", "object_type")
    search_fields = ("=object_type", "=object_id", "=actor", "action")
    ordering = ("-seq",)
    actions = None
    list_per_page = 100
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in JournalEntry._meta.concrete_fields]
