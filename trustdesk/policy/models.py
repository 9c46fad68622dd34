"""Published policy versions: immutable, content-hashed, each with its effective date."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from trustdesk.lib.datamap import Erasure, Field, ModelMap
from trustdesk.policy.loader import LoadedPolicy, load_cached


class ImmutableError(Exception):
    """A published version is evidence: it is never changed or deleted."""


class PolicyVersion(models.Model):
    number = models.PositiveIntegerField(
        unique=True, help_text=_("1 for the first published version, then 2, 3, ...")
    )
    sha256 = models.CharField(max_length=64, help_text=_("SHA-256 of the policy file's text"))
    text = models.TextField(help_text=_("The policy file exactly as published"))
    source_name = models.CharField(max_length=500, help_text=_("The file it was published from"))
    published_at = models.DateTimeField()
    published_by = models.CharField(
        max_length=200, help_text=_("Who published it: a user or the operator account")
    )
    effective_from = models.DateField(help_text=_("The day this version takes effect"))

    data_map = ModelMap(
        personal={"published_by": Field("user.account.username", Erasure.PSEUDONYMISE)},
        not_personal=("id", "number", "sha256", "text", "source_name", "published_at", "effective_from"),
    )

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["-number"]
        get_latest_by = "number"
        indexes = [models.Index(fields=["effective_from", "number"])]

    def __str__(self) -> str:
        return f"policy version {self.number} (effective {self.effective_from:%Y-%m-%d})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ImmutableError(f"policy version {self.number} is published and cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableError(f"policy version {self.number} is published and cannot be deleted")

    @property
    def loaded(self) -> LoadedPolicy:
        return load_cached(self.text, f"policy version {self.number}")
