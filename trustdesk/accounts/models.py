"""Accounts: who a user is (customer or a staff role), lock-outs, throttles, staff's removals of two-factor
authentication, notices to be sent again, content-access instructions.

Log-in itself, e-mail addresses, two-factor authenticators and sessions are django-allauth's models;
their fields are declared in the data map (``trustdesk.lib.datamap.EXTERNAL``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from trustdesk.lib.datamap import PERSON_OF_USER, SEALED_MAIL, Erasure, Field, ModelMap


class Profile(models.Model):
    """A user's role; a customer's account is tied to the registry person it belongs to."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", _("customer")
        SUPPORT = "support", _("support")
        PRIVACY_OFFICER = "privacy_officer", _("privacy officer")
        ABUSE_DESK = "abuse_desk", _("abuse desk")
        ADMINISTRATOR = "administrator", _("administrator")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    person = models.OneToOneField(
        "registry.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account",
        help_text=_("The registry person of a customer's account; empty for staff"),
        verbose_name=_("person"),
    )
    role = models.CharField(max_length=20, choices=Role.choices, verbose_name=_("role"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    data_map = ModelMap(
        personal={},
        not_personal=("id", "user", "person", "role", "created_at"),
        subject_path="person",
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(role="customer", person__isnull=False)
                | (~Q(role="customer") & Q(person__isnull=True)),
                name="accounts_profile_customer_has_person",
                violation_error_message="a customer's account belongs to a registry person; staff accounts to none",
            )
        ]

    def __str__(self) -> str:
        return f"profile {self.pk} ({self.role})"

    @property
    def is_staff_role(self) -> bool:
        return self.role != self.Role.CUSTOMER


STAFF_ROLES = tuple(r for r in Profile.Role if r != Profile.Role.CUSTOMER)


class LoginLock(models.Model):
    """Consecutive failed log-ins for one e-mail address, and the block they caused.

    Keyed by a keyed pseudonym of the address, whether or not an account has it, so that the answers
    are the same for an address with and without an account.
    """

    key = models.CharField(
        max_length=80,
        unique=True,
        help_text=_("Keyed pseudonym of the e-mail address"),
        verbose_name=_("key"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    failures = models.PositiveIntegerField(default=0, verbose_name=_("failures"))
    last_failure_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last failure at"))
    locked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("locked at"))
    locked_until = models.DateTimeField(null=True, blank=True, verbose_name=_("locked until"))

    data_map = ModelMap(
        personal={
            "key": Field(
                "user.account",
                Erasure.DELETE_ROW,
                label=_("the e-mail address it counts for, as a code: the address itself is not kept here"),
                source="observed",
            ),
            "last_failure_at": Field(
                "user.authorization",
                Erasure.DELETE_ROW,
                label=_("when logging in last failed"),
                source="observed",
            ),
        },
        not_personal=("id", "user", "failures", "locked_at", "locked_until"),
        subject_path=f"user__{PERSON_OF_USER}",
    )

    class Meta:
        verbose_name = _("log-in lock")
        verbose_name_plural = _("log-in locks")

    def __str__(self) -> str:
        return f"login lock {self.pk}"


class TwoFactorRemoval(models.Model):
    """Staff's removal of a customer's two-factor authentication, asked for and carried out after a wait.

    The owner is told at once and can keep their two-factor authentication until ``due_at`` (a removal
    asked for by someone who only claims to be them); the periodic job removes it once due and, where
    ``TRUSTDESK_TWO_FACTOR_REMOVAL_SECOND_APPROVAL`` says so, approved by a second member of staff. At most
    one removal of an account is open (``ended_at`` empty) at a time."""

    class Outcome(models.TextChoices):
        REMOVED = "removed", _("removed")
        KEPT = "kept", _("kept by the account's owner")
        WITHDRAWN = "withdrawn", _("withdrawn by staff")
        NOTHING = "nothing", _("nothing left to remove")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="two_factor_removals",
        verbose_name=_("user"),
    )
    asked_by = models.CharField(
        max_length=50, help_text=_("The member of staff who asked for it"), verbose_name=_("asked by")
    )
    reason = models.TextField(
        help_text=_("Who asked, and how it was checked that it was the account's owner"),
        verbose_name=_("reason"),
    )
    created_at = models.DateTimeField(verbose_name=_("asked at"))
    due_at = models.DateTimeField(verbose_name=_("due at"))
    approved_by = models.CharField(
        max_length=50,
        blank=True,
        help_text=_("The second member of staff who approved it, where one must"),
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("approved at"))
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ended at"))
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True, verbose_name=_("outcome"))
    ended_by = models.CharField(
        max_length=50,
        blank=True,
        help_text=_("Who kept or withdrew it; the periodic job for a removal carried out"),
        verbose_name=_("ended by"),
    )

    data_map = ModelMap(
        personal={
            "reason": Field(
                "user.authorization",
                Erasure.DELETE_ROW,
                label=_("why our staff were asked to remove your two-factor authentication"),
                source="observed",
            ),
        },
        not_personal=(
            *("id", "user", "asked_by", "created_at", "due_at", "approved_by", "approved_at"),
            *("ended_at", "outcome", "ended_by"),
        ),
        subject_path=f"user__{PERSON_OF_USER}",
    )

    class Meta:
        verbose_name = _("two-factor removal")
        verbose_name_plural = _("two-factor removals")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(ended_at__isnull=True),
                name="accounts_one_open_two_factor_removal",
                violation_error_message="an account has one open removal of two-factor authentication",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, outcome="") | Q(ended_at__isnull=False) & ~Q(outcome=""),
                name="accounts_two_factor_removal_ended_with_outcome",
                violation_error_message="a removal that ended has an outcome, an open one has none",
            ),
            models.CheckConstraint(
                condition=Q(approved_at__isnull=True, approved_by="")
                | Q(approved_at__isnull=False) & ~Q(approved_by="") & ~Q(approved_by=F("asked_by")),
                name="accounts_two_factor_removal_approved_by_another",
                violation_error_message="a removal is approved by someone other than who asked for it",
            ),
        ]
        indexes = [
            models.Index(fields=["due_at"], name="accounts_removal_due", condition=Q(ended_at__isnull=True))
        ]

    def __str__(self) -> str:
        return f"two-factor removal {self.pk}"


class UnsentNotice(models.Model):
    """A notice to an account's owner (a change to their password, addresses or two-factor authentication)
    that the mail server did not take: kept sealed and sent again by the periodic job until it goes or the
    time for it runs out (``trustdesk.accounts.notices``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="unsent_notices",
        verbose_name=_("user"),
    )
    template = models.CharField(max_length=100, help_text=_("Which notice it is"), verbose_name=_("notice"))
    message = models.TextField(
        blank=True,
        help_text=_("The message as it was to be sent, sealed; emptied once the time for it runs out"),
        verbose_name=_("message"),
    )
    created_at = models.DateTimeField(verbose_name=_("first tried at"))
    attempts = models.PositiveIntegerField(default=1, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt at"))
    last_failure = models.CharField(
        max_length=100,
        help_text=_("The kind of failure: the error's class and the mail server's reply codes"),
        verbose_name=_("last failure"),
    )
    given_up_at = models.DateTimeField(null=True, blank=True, verbose_name=_("given up at"))

    data_map = ModelMap(
        personal={
            "message": Field(
                "user.contact.email",
                Erasure.DELETE_ROW,
                label=_("an e-mail to you that could not be sent yet, kept to send again"),
                secret=True,
                held=SEALED_MAIL,
                source="observed",
            ),
        },
        not_personal=(
            "id",
            "user",
            "template",
            "created_at",
            "attempts",
            "next_attempt_at",
            "last_failure",
            "given_up_at",
        ),
        subject_path=f"user__{PERSON_OF_USER}",
    )

    class Meta:
        verbose_name = _("unsent notice")
        verbose_name_plural = _("unsent notices")
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="accounts_notice_due", condition=Q(given_up_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"unsent notice {self.pk}"


class ThrottleHit(models.Model):
    """One request counted by a throttle: its scope, a keyed pseudonym of the address, and when."""

    scope = models.CharField(max_length=50, verbose_name=_("scope"))
    key = models.CharField(max_length=80, verbose_name=_("key"))
    at = models.DateTimeField(db_index=True, verbose_name=_("when"))

    data_map = ModelMap(
        personal={"key": Field("user.device.ip_address", Erasure.DELETE_ROW)},
        not_personal=("id", "scope", "at"),
    )

    class Meta:
        verbose_name = _("throttle hit")
        verbose_name_plural = _("throttle hits")
        indexes = [models.Index(fields=["scope", "key", "at"])]

    def __str__(self) -> str:
        return f"throttle hit {self.pk} ({self.scope})"


class ContentAccessInstruction(models.Model):
    """A customer's instruction that staff may look at their stored content (P0.10)."""

    class Channel(models.TextChoices):
        PORTAL = "portal", _("customer portal")
        EMAIL = "email", _("e-mail")
        PHONE = "phone", _("phone")
        TICKET = "ticket", _("support ticket")
        LETTER = "letter", _("letter")
        IN_PERSON = "in_person", _("in person")

    organisation = models.ForeignKey(
        "registry.Organisation",
        on_delete=models.PROTECT,
        related_name="content_access_instructions",
        verbose_name=_("organisation"),
    )
    given_by = models.ForeignKey(
        "registry.Person",
        on_delete=models.PROTECT,
        related_name="content_access_instructions",
        verbose_name=_("given by"),
    )
    scope = models.TextField(
        help_text=_("What may be looked at and why, in the customer's words"), verbose_name=_("scope")
    )
    valid_from = models.DateTimeField(verbose_name=_("valid from"))
    valid_until = models.DateTimeField(verbose_name=_("valid until"))
    channel = models.CharField(max_length=20, choices=Channel.choices, verbose_name=_("channel"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recorded at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    data_map = ModelMap(
        personal={"scope": Field("user.content", Erasure.CLEAR)},
        not_personal=(
            "id",
            "organisation",
            "given_by",
            "valid_from",
            "valid_until",
            "channel",
            "recorded_by",
            "recorded_at",
            "revoked_at",
        ),
        subject_path="organisation",
    )

    class Meta:
        verbose_name = _("content access instruction")
        verbose_name_plural = _("content access instructions")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("valid_from")),
                name="accounts_instruction_valid_until_after_from",
                violation_error_message="an instruction ends after it starts",
            )
        ]

    def __str__(self) -> str:
        return f"content access instruction {self.pk}"


class ContentAccess(models.Model):
    """One look at a customer's content by staff, under an instruction."""

    instruction = models.ForeignKey(
        ContentAccessInstruction,
        on_delete=models.PROTECT,
        related_name="accesses",
        verbose_name=_("instruction"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("actor")
    )
    what = models.TextField(help_text=_("What was looked at"), verbose_name=_("what"))
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("when"))
    journal_seq = models.PositiveBigIntegerField(
        help_text=_("The journal entry that records it"), verbose_name=_("journal entry")
    )

    data_map = ModelMap(
        personal={"what": Field("user.content", Erasure.CLEAR)},
        not_personal=("id", "instruction", "actor", "at", "journal_seq"),
        subject_path="instruction__organisation",
    )

    class Meta:
        verbose_name = _("content access")
        verbose_name_plural = _("content accesses")

    def __str__(self) -> str:
        return f"content access {self.pk}"
