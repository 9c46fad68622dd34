"""Requests in the staff view (read-only: changes go through the services and the command)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from trustdesk.lib.admin import ReadOnlyAdmin
from trustdesk.registry.admin import LooksJournaled
from trustdesk.rights.models import Download, ErasureLedgerEntry, Event, Objection, Request, Restriction


class EventInline(admin.TabularInline[Event, Request]):
    model = Event
    extra = 0
    can_delete = False
    fields = ("at", "actor", "action", "from_status", "to_status", "journal_seq")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Request)
class RequestAdmin(LooksJournaled, ReadOnlyAdmin):
    listing_is_a_look = False  # references, kinds and states: no one's data
    list_display = ("reference", "kind", "status", "channel", "received_on", "due_on")
    list_filter = ("status", "kind", "channel")
    search_fields = ("reference",)
    inlines = [EventInline]


class AboutPersonAdmin(LooksJournaled, ReadOnlyAdmin):
    """A download, restriction or objection belongs to a person's request: each look is journaled."""


for model in (Download, Restriction, Objection):
    admin.site.register(model, AboutPersonAdmin)
admin.site.register(ErasureLedgerEntry, ReadOnlyAdmin)  # keyed pseudonyms, not about anyone the map reaches
