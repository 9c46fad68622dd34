"""The administrators' view of accounts: read-only. Accounts, instructions and accesses change only through
``trustdesk.accounts.services``, which journal every change."""

from __future__ import annotations

from django.contrib import admin

from trustdesk.accounts.models import (
    ContentAccess,
    ContentAccessInstruction,
    LoginLock,
    Profile,
    TwoFactorRemoval,
    UnsentNotice,
)
from trustdesk.lib import admin as lib_admin


class ReadOnlyAdmin(lib_admin.ReadOnlyAdmin):
    list_per_page = 50


@admin.register(Profile)
class ProfileAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "user", "role", "person", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email",)


@admin.register(LoginLock)
class LoginLockAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "user", "failures", "last_failure_at", "locked_until")


@admin.register(TwoFactorRemoval)
class TwoFactorRemovalAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "user",
        "asked_by",
        "approved_by",
        "created_at",
        "due_at",
        "outcome",
        "ended_at",
    )
    list_filter = ("outcome",)


@admin.register(UnsentNotice)
class UnsentNoticeAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "user", "template", "created_at", "attempts", "next_attempt_at", "given_up_at")
    list_filter = ("template",)
    exclude = ("message",)  # sealed: nothing to read, and nothing staff need


@admin.register(ContentAccessInstruction)
class ContentAccessInstructionAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "organisation",
        "given_by",
        "valid_from",
        "valid_until",
        "channel",
        "revoked_at",
    )


@admin.register(ContentAccess)
class ContentAccessAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "instruction", "actor", "at", "journal_seq")
