"""Recipient erasure requests and job locks in the staff view: read-only; the services change them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from trustdesk.retention.models import JobLock, RecipientErasureRequest


class _ReadOnly(admin.ModelAdmin):
    actions = None
    list_per_page = 100

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.concrete_fields]


@admin.register(RecipientErasureRequest)
class RecipientErasureRequestAdmin(_ReadOnly):
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
class JobLockAdmin(_ReadOnly):
    list_display = ("name", "holder", "pid", "host", "acquired_at", "heartbeat_at")
