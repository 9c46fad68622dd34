"""Consent events in the staff view: read-only; they are recorded by the services, never edited."""

from __future__ import annotations

from django.contrib import admin

from trustdesk.consent.models import ConsentEvent, CookieChoice
from trustdesk.lib.admin import ReadOnlyAdmin
from trustdesk.registry.admin import LooksJournaled


@admin.register(ConsentEvent)
class ConsentEventAdmin(LooksJournaled, ReadOnlyAdmin):
    list_display = ("__str__", "person", "purpose", "kind", "at", "channel", "method", "policy_version")
    list_filter = ("purpose", "kind", "channel", "method")
    search_fields = ("=person__id", "purpose", "=evidence", "=text_sha256")
    ordering = ("-at", "-id")
    list_per_page = 100


@admin.register(CookieChoice)
class CookieChoiceAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "consent_id", "at", "choice", "accepted", "policy_version", "lang")
    list_filter = ("choice", "lang")
    search_fields = ("=consent_id",)
    ordering = ("-at", "-id")
    list_per_page = 100
