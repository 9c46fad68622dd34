"""Recipient erasure requests and job locks in the staff view: read-only; the services change them."""

from __future__ import annotations

from django.contrib import admin

from trustdesk.lib.admin import ReadOnlyAdmin
from trustdesk.registry.admin import LooksJournaled
from trustdesk.retention.models import JobLock, RecipientErasureRequest


@admin.register(RecipientErasureRequest)
class RecipientErasureRequestAdmin(LooksJournaled, ReadOnlyAdmin):
    list_display = (
        "__str__",
        "organisation",
        "recipient",
        "event",
        "event_on",
        "channel",
        "status",
        "sent_at",
        "reminders",
        "confirmed_at",
    )
    list_filter = ("status", "recipient", "event", "channel")
    search_fields = ("=id", "=organisation__id", "recipient")
    ordering = ("-created_at", "-id")


@admin.register(JobLock)
class JobLockAdmin(ReadOnlyAdmin):
    list_display = ("name", "holder", "pid", "host", "acquired_at", "heartbeat_at")
