"""The administrators' view of accounts: read-only. Accounts, instructions and accesses change only through
``trustdesk.accounts.services``, which journal every change.

Django's and django-allauth's own admins of accounts (users, e-mail addresses, authenticator apps, sessions)
would let an administrator change an account unseen: set its password or address, mark an address
verified, remove an app without the wait and the second member of staff a removal needs (P3.15), or read an
app's secret and a session's key, which is its cookie. They are replaced here by read-only ones that leave
the secrets out; Django's groups, which Trustdesk does not use (roles are the profile's), are not shown."""

from __future__ import annotations

# Their own admins first, so that they are registered when they are replaced below, whatever the order
# the admin's autodiscovery imports the apps in.
import allauth.account.admin
import allauth.mfa.admin
import allauth.usersessions.admin
import django.contrib.auth.admin
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from trustdesk.accounts.models import (
    ContentAccess,
    ContentAccessInstruction,
    LoginLock,
    Profile,
    TwoFactorRemoval,
    UnsentNotice,
)
from trustdesk.lib import admin as lib_admin
from trustdesk.registry.admin import LooksJournaled


class ReadOnlyAdmin(LooksJournaled, lib_admin.ReadOnlyAdmin):
    """Every record here is about a person (their account and what belongs to it): each look is journaled."""

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


class UserAccountAdmin(ReadOnlyAdmin, django.contrib.auth.admin.UserAdmin):
    """Who has an account, its state and its dates; not its password (nor its hash), groups or permissions.
    Its page for setting a password refuses (403): the owner resets it by e-mail."""

    fieldsets = (
        (None, {"fields": ("username",)}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    exclude = ("password", "groups", "user_permissions")
    list_filter = ("is_active", "is_staff", "is_superuser")


class EmailAddressAdmin(ReadOnlyAdmin, allauth.account.admin.EmailAddressAdmin):
    """An account's addresses and whether they are verified; none marked verified from here."""

    actions = None


class AuthenticatorAdmin(ReadOnlyAdmin, allauth.mfa.admin.AuthenticatorAdmin):
    """Which account has which second factor, since when, last used when; not its secret or recovery codes.
    A lost app is removed through the console's removal (P3.15), never here."""

    exclude = ("data",)


class UserSessionAdmin(ReadOnlyAdmin, allauth.usersessions.admin.UserSessionAdmin):
    """Open sessions, from where and in which browser; not the session's key (its cookie) or its data."""

    exclude = ("session_key", "data")


for _model, _admin in (
    (get_user_model(), UserAccountAdmin),
    (EmailAddress, EmailAddressAdmin),
    (Authenticator, AuthenticatorAdmin),
    (UserSession, UserSessionAdmin),
):
    admin.site.unregister(_model)
    admin.site.register(_model, _admin)
admin.site.unregister(Group)
