"""API tokens: created by staff, stored hashed, scoped and revocable.

A token is 43 random characters from a 62-letter alphabet (256 bits, as much as a
32-byte secret). Only its SHA-256 digest is stored, with its first 8 characters
(the prefix) so that people can tell tokens apart and so that a request finds its
token by an indexed look-up before comparing digests in constant time.

Why SHA-256 and not argon2: a slow, salted password hash protects secrets that people
choose and that can be guessed. A 256-bit random token cannot be guessed, whatever the
speed of the hash, so a leaked digest gives nothing away; and a hash that costs tens of
milliseconds and megabytes of memory on every API request would hand anyone who sends
requests a way to exhaust the server.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trustdesk.lib.datamap import Erasure, Field, ModelMap


class Scope(models.TextChoices):
    REGISTRY_READ = "registry:read", "read organisations, people, services and invoices"
    REGISTRY_WRITE = "registry:write", "create and update organisations, people, services and invoices"
    REQUESTS_READ = "requests:read", "read the state of data-subject requests"
    REQUESTS_WRITE = "requests:write", "open data-subject requests on a person's behalf"


class ApiToken(models.Model):
    name = models.CharField(max_length=100, help_text=_("What the token is for, e.g. 'WHMCS sync'"))
    prefix = models.CharField(max_length=8, unique=True, help_text=_("The token's first 8 characters"))
    token_hash = models.CharField(max_length=64, help_text=_("SHA-256 of the token, hexadecimal"))
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    data_map = ModelMap(
        personal={"created_by": Field("user.account", Erasure.CLEAR)},
        # The digest of a random secret says nothing about a person.
        not_personal=(
            "id",
            "name",
            "prefix",
            "token_hash",
            "scopes",
            "created_at",
            "last_used_at",
            "revoked_at",
        ),
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"API token {self.prefix}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def actor_ref(self) -> str:
        """How the journal names a change made with this token."""
        return f"api-token:{self.pk}"

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class TokenWindow(models.Model):
    """How many requests a token sent in one window of the API's limit (a minute of the clock by default):
    one row per token and window, counted up by one statement per request (``count_request``)."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(help_text=_("When the window began (UTC)"))
    requests = models.PositiveIntegerField(default=0)

    data_map = ModelMap(personal={}, not_personal=("id", "token", "starts_at", "requests"))

    class Meta:
        verbose_name = _("API token's requests in a window")
        verbose_name_plural = _("API tokens' requests in a window")
        constraints = [
            models.UniqueConstraint(fields=["token", "starts_at"], name="one_count_per_token_window")
        ]

    def __str__(self) -> str:
        return f"{self.requests} requests from {self.starts_at:%Y-%m-%d %H:%M}"
