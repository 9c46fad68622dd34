"""The read-only model admin every app's records use in the Django admin: list and detail, nothing else.

Records change through the service functions, which check them and write the journal; the admin, which
writes neither, only shows them. Each app's admin subclasses :class:`ReadOnlyAdmin` with its columns."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """No adding, changing, deleting or bulk actions; every field of the record shown read-only."""

    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        hidden = set(self.exclude or ())  # a sealed field an app leaves out stays out
        return [f.name for f in self.model._meta.concrete_fields if f.name not in hidden]
