"""Consent events: a person gave or withdrew consent for a purpose of the policy, with its proof.

The events are append-only: a consent's state is its latest event, and its history is the list
of events. Each event keeps the policy version in effect, the exact text the person agreed to
(or withdrew from) with its SHA-256, the channel and method, who recorded it, an optional
evidence reference, and an IP address only as a keyed pseudonym. Events are written by
:mod:`trustdesk.consent.services`, never changed; erasure of the person deletes them
(see ``data_map`` below and docs/consent.md).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from trustdesk.lib.datamap import Erasure, Field, ModelMap
from trustdesk.policy.models import PolicyVersion
from trustdesk.registry.models import Channel, Person


class ConsentImmutable(Exception):
    """A consent event is evidence: it is never changed."""


class Kind(models.TextChoices):
    GIVEN = "given", _("given")
    WITHDRAWN = "withdrawn", _("withdrawn")


class State(models.TextChoices):
    """Where a person's consent to a purpose stands: its latest event, or none."""

    GIVEN = "given", _("given")
    WITHDRAWN = "withdrawn", _("withdrawn")
    NEVER = "never", _("never given")


class Method(models.TextChoices):
    """How the consent or its withdrawal reached the provider."""

    FORM = "form", _("web form")
    EMAIL = "email", _("e-mail")
    PORTAL = "portal", _("portal click")
    API = "api", _("API")
    LETTER = "letter", _("letter")
    PHONE = "phone", _("phone call")
    IN_PERSON = "in_person", _("in person")


class ConsentEvent(models.Model):
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="consent_events", verbose_name=_("person")
    )
    purpose = models.CharField(
        max_length=100,
        help_text=_("The key of a purpose of the policy on consent"),
        verbose_name=_("purpose"),
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=_("kind"))
    at = models.DateTimeField(verbose_name=_("when"))
    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("policy version")
    )
    text = models.TextField(
        help_text=_("The exact text the person agreed to (for a withdrawal: the one withdrawn)"),
        verbose_name=_("text"),
    )
    text_sha256 = models.CharField(
        max_length=64, help_text=_("SHA-256 of the text, UTF-8"), verbose_name=_("SHA-256 of the text")
    )
    lang = models.CharField(
        max_length=10, help_text=_("The language of the text"), verbose_name=_("language")
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, verbose_name=_("channel"))
    method = models.CharField(max_length=10, choices=Method.choices, verbose_name=_("method"))
    recorded_by = models.CharField(
        max_length=100,
        help_text=_("Who recorded it: a reference such as user:42 or operator:root"),
        verbose_name=_("recorded by"),
    )
    evidence = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("A reference to the evidence, such as a message id"),
        verbose_name=_("evidence"),
    )
    ip_pseudonym = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("The keyed pseudonym of the IP address it came from"),
        verbose_name=_("IP address pseudonym"),
    )

    # Erasing the person deletes every event (any DELETE_ROW field deletes the row). Consent proves
    # that processing on consent was lawful while it lasted (Art. 7(1)); once the person's data is
    # erased nothing is processed on that consent any more, and no legal obligation keeps the proof.
    # The journal's hash-chained core keeps, without personal data, that event N was recorded by
    # whom and when; its payload (person, purpose, text digest) is erased with the rows.
    data_map = ModelMap(
        personal={
            "text": Field("user.content", Erasure.DELETE_ROW),
            "evidence": Field("user.content", Erasure.DELETE_ROW),
            "ip_pseudonym": Field("user.device.ip_address", Erasure.DELETE_ROW),
        },
        not_personal=(
            "id",
            "person",
            "purpose",
            "kind",
            "at",
            "policy_version",
            "text_sha256",
            "lang",
            "channel",
            "method",
            "recorded_by",
        ),
        subject_path="person",
    )

    class Meta:
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["person", "purpose", "at"], name="consent_person_purpose_at")]

    def __str__(self) -> str:
        return f"consent event {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ConsentImmutable(f"consent event {self.pk} is evidence and cannot be changed")
        super().save(*args, **kwargs)


class CookieChoiceKind(models.TextChoices):
    """Which button the visitor pressed."""

    ALL = "all", _("accept all")
    NECESSARY = "necessary", _("only necessary")
    SELECTED = "selected", _("chosen per purpose")


class CookieChoice(models.Model):
    """A visitor's choice about the cookies of the policy in effect, with its proof (P2.2).

    Visitors are anonymous, so a choice is tied to a browser, not to a person: ``consent_id`` is a
    random identifier, made when the visitor first chooses and kept in the choice cookie; every later
    change of that browser's choice is a new row under the same id, so a browser's history is its rows
    in order and its choice is the latest. Nothing else about the visitor is kept: no IP address (not
    even a pseudonym), no user agent, no account. Rows are evidence: never changed, never deleted
    by Trustdesk.
    """

    consent_id = models.CharField(
        max_length=32, help_text=_("The random identifier in the choice cookie"), verbose_name=_("consent ID")
    )
    at = models.DateTimeField(verbose_name=_("when"))
    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("policy version")
    )
    choice = models.CharField(max_length=10, choices=CookieChoiceKind.choices, verbose_name=_("choice"))
    offered = models.JSONField(
        default=list,
        help_text=_("The purposes with optional cookies the visitor was asked about"),
        verbose_name=_("offered"),
    )
    accepted = models.JSONField(
        default=list, help_text=_("The purposes the visitor accepted cookies for"), verbose_name=_("accepted")
    )
    lang = models.CharField(
        max_length=10, help_text=_("The language the choice was offered in"), verbose_name=_("language")
    )

    # The consent id is random, made for this choice alone and linked to nothing else Trustdesk holds
    # (no account, no person, no address): it singles out no one, so no field here is personal data.
    data_map = ModelMap(
        personal={},
        not_personal=("id", "consent_id", "at", "policy_version", "choice", "offered", "accepted", "lang"),
    )

    class Meta:
        verbose_name = _("cookie choice")
        verbose_name_plural = _("cookie choices")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["consent_id", "at"], name="cookiechoice_consent_at")]

    def __str__(self) -> str:
        return f"cookie choice {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ConsentImmutable(f"cookie choice {self.pk} is evidence and cannot be changed")
        super().save(*args, **kwargs)
