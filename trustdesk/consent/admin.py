"""Consent events in the staff view: read-only; they are recorded by the services, never edited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from trustdesk.consent.models import ConsentEvent, CookieChoice


@admin.register(ConsentEvent)
class ConsentEventAdmin(admin.ModelAdmin[ConsentEvent]):
    list_display = ("__str__", "person", "purpose", "kind", "at", "channel", "method", "policy_version")
    list_filter = ("purpose", "kind", "channel", "method")
    search_fields = ("=person__id", "purpose", "=evidence", "=text_sha256")
    ordering = ("-at", "-id")
    actions = None
    list_per_page = 100

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in ConsentEvent._meta.concrete_fields]


@admin.register(CookieChoice)
class CookieChoiceAdmin(admin.ModelAdmin[CookieChoice]):
    list_display = ("__str__", "consent_id", "at", "choice", "accepted", "policy_version", "lang")
    list_filter = ("choice", "lang")
    search_fields = ("=consent_id",)
    ordering = ("-at", "-id")
    actions = None
    list_per_page = 100

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in CookieChoice._meta.concrete_fields]
