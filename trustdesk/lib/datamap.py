"""The data map: which field of which model holds which personal data, and how it is erased.

Each of Trustdesk's models declares a ``data_map = ModelMap(...)``; models of Django
and third-party apps are declared in EXTERNAL below; history copies
(django-simple-history) inherit the map of the model they copy. ``undeclared()``
lists every field that is in no map: the test suite fails on any.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from django.apps import apps
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


def is_empty(value: object) -> bool:
    """No value: None, an empty text, list or mapping."""
    return value is None or value == "" or value == [] or value == {}


def covers(broad: str, category: str) -> bool:
    """A category key covers itself and every key below it (user.contact covers user.contact.email)."""
    return category == broad or category.startswith(broad + ".")


class Erasure(StrEnum):
    """What erasing a person's data does to a field."""

    DELETE_ROW = "delete_row"  # the whole record goes
    CLEAR = "clear"  # the value is emptied
    PSEUDONYMISE = "pseudonymise"  # replaced by a keyed pseudonym (HMAC-SHA-256)
    HOLD = "hold"  # kept under a legal hold the policy names, until its retention ends


#: What is collected for the person in place of a secret that is held (:attr:`Field.secret`).
WITHHELD = "withheld: a secret that lets one log in"
#: The same for a message to the person kept sealed until it is sent (``Field(secret=True, held=...)``).
SEALED_MAIL = "withheld: an e-mail to you, kept sealed until it is sent"


@dataclass(frozen=True)
class Field:
    category: str
    erasure: Erasure
    #: For Erasure.HOLD: the retention start event of the legal obligation that keeps the value
    #: (e.g. 'end_of_fiscal_year_of_invoice'); the policy's purpose on legal_obligation whose retention
    #: runs from that event says until when. Providers name their purposes freely; the event is fixed.
    hold: str = ""
    #: For a field that keeps copies of values other fields hold (the journal's payload): the
    #: categories those copies can be of. ``category`` then names what they have in common, and
    #: ``personal_fields()`` lists the field once for each copied category, so that the policy
    #: check asks for a purpose covering each of them rather than the whole tree above them.
    copies: tuple[str, ...] = ()
    #: A secret that lets one log in (a password hash, a TOTP key, a session key): what is collected for
    #: the person (the portal, the access report and its file) says it is held, never its value.
    secret: bool = False
    #: What is collected for the person in place of a held value: :data:`WITHHELD` (a secret that lets one
    #: log in) unless another is named (:data:`SEALED_MAIL`).
    held: str = WITHHELD
    #: What the value is, where the category's name alone does not say it ("when logging in last
    #: failed" for a moment filed under ``user.authorization``): shown after the category's name.
    label: str | Promise = ""
    #: Where the value comes from (a ``SourceKind`` of the policy: ``data_subject``, ``observed``) when its
    #: record does not say so in a ``source_kind`` field, as accounts and sessions do not.
    source: str = ""

    def __post_init__(self) -> None:
        if (self.erasure is Erasure.HOLD) != bool(self.hold):
            raise ValueError(
                "a legal hold names the retention event that keeps the value, and only a hold does"
            )
        outside = [c for c in self.copies if not covers(self.category, c)]
        if outside:
            raise ValueError(f"copied categories outside {self.category}: {', '.join(outside)}")

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories the field's values are of: its copies, or else its one category."""
        return self.copies or (self.category,)


@dataclass(frozen=True)
class ModelMap:
    personal: dict[str, Field]
    not_personal: tuple[str, ...]
    #: The path from this model to the person or organisation it is about ('' for those themselves).
    subject_path: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def secret_fields(self) -> frozenset[str]:
        """The fields that hold a secret (:attr:`Field.secret`)."""
        return frozenset(name for name, declared in self.personal.items() if declared.secret)

    @property
    def held_values(self) -> dict[str, str]:
        """What is collected in place of each secret field's value (:attr:`Field.held`)."""
        return {name: declared.held for name, declared in self.personal.items() if declared.secret}

    def __post_init__(self) -> None:
        both = set(self.personal) & set(self.not_personal)
        if both:
            raise ValueError(f"declared both personal and not personal: {', '.join(sorted(both))}")


_ACCOUNT = "user.account"
#: Where an account's values come from: given by the person, or recorded while they used the services.
_YOU = "data_subject"
_SEEN = "observed"

#: From an account to the registry person it belongs to (``accounts.Profile``): a customer's account, its
#: e-mail addresses, authenticators, sessions and log-in locks are that person's data. Staff accounts
#: belong to no person and are reached by nothing.
PERSON_OF_USER = "profile__person"


def through_account(path: str) -> bool:
    """Whether a subject path reaches its person through an account (:data:`PERSON_OF_USER`): the records
    of a staff account, which belongs to no person, are then about nobody in the registry."""
    return path == PERSON_OF_USER or path.endswith(f"__{PERSON_OF_USER}")


#: Models of Django and third-party apps, by app label and model name.
EXTERNAL: dict[str, ModelMap] = {
    "auth.user": ModelMap(
        personal={
            "username": Field("user.account.username", Erasure.PSEUDONYMISE, source=_YOU),
            "first_name": Field("user.name.first", Erasure.CLEAR, source=_YOU),
            "last_name": Field("user.name.last", Erasure.CLEAR, source=_YOU),
            "email": Field("user.contact.email", Erasure.PSEUDONYMISE, source=_YOU),
            "password": Field("user.authorization.password", Erasure.CLEAR, secret=True, source=_YOU),
            "last_login": Field(
                "user.behavior.browsing_history", Erasure.CLEAR, label=_("last log-in"), source=_SEEN
            ),
            "date_joined": Field(_ACCOUNT, Erasure.CLEAR, label=_("account opened on"), source=_SEEN),
        },
        not_personal=("id", "is_superuser", "is_staff", "is_active", "groups", "user_permissions"),
        subject_path=PERSON_OF_USER,
    ),
    "auth.group": ModelMap(personal={}, not_personal=("id", "name", "permissions")),
    "auth.permission": ModelMap(personal={}, not_personal=("id", "name", "content_type", "codename")),
    "auth.group_permissions": ModelMap(personal={}, not_personal=("id", "group", "permission")),
    "auth.user_groups": ModelMap(personal={}, not_personal=("id", "user", "group")),
    "auth.user_user_permissions": ModelMap(personal={}, not_personal=("id", "user", "permission")),
    "contenttypes.contenttype": ModelMap(personal={}, not_personal=("id", "app_label", "model")),
    # The admin's log of changes made through it: the object's text and the change message can
    # name people (a name shown as the object, a changed value).
    "admin.logentry": ModelMap(
        personal={
            "object_repr": Field("user.content", Erasure.CLEAR),
            "change_message": Field("user.content", Erasure.CLEAR),
        },
        not_personal=("id", "action_time", "user", "content_type", "object_id", "action_flag"),
    ),
    "sessions.session": ModelMap(
        personal={"session_data": Field("user.device.cookie_id", Erasure.DELETE_ROW, secret=True)},
        not_personal=("session_key", "expire_date"),
    ),
    # django-allauth: e-mail addresses of accounts, their confirmations, two-factor authenticators
    # (TOTP keys and recovery codes) and the list of open sessions.
    "account.emailaddress": ModelMap(
        personal={"email": Field("user.contact.email", Erasure.DELETE_ROW, source=_YOU)},
        not_personal=("id", "user", "verified", "primary"),
        subject_path=f"user__{PERSON_OF_USER}",
    ),
    "account.emailconfirmation": ModelMap(
        personal={"key": Field("user.authorization.credentials", Erasure.DELETE_ROW, secret=True)},
        not_personal=("id", "email_address", "created", "sent"),
        subject_path=f"email_address__user__{PERSON_OF_USER}",
    ),
    "mfa.authenticator": ModelMap(
        personal={
            "data": Field("user.authorization.credentials", Erasure.DELETE_ROW, secret=True),
            "last_used_at": Field(
                "user.authorization", Erasure.DELETE_ROW, label=_("last used"), source=_SEEN
            ),
        },
        not_personal=("id", "user", "type", "created_at"),
        subject_path=f"user__{PERSON_OF_USER}",
    ),
    "usersessions.usersession": ModelMap(
        personal={
            "ip": Field("user.device.ip_address", Erasure.DELETE_ROW, source=_SEEN),
            "user_agent": Field("user.device", Erasure.DELETE_ROW, label=_("browser"), source=_SEEN),
            "session_key": Field("user.device.cookie_id", Erasure.DELETE_ROW, secret=True, source=_SEEN),
            "last_seen_at": Field(
                "user.behavior.browsing_history", Erasure.DELETE_ROW, label=_("last used"), source=_SEEN
            ),
            "data": Field("user.device", Erasure.DELETE_ROW, label=_("session details"), source=_SEEN),
        },
        not_personal=("id", "user", "created_at"),
        subject_path=f"user__{PERSON_OF_USER}",
    ),
}

#: Fields django-simple-history adds to every history copy.
_HISTORY_FIELDS = ModelMap(
    personal={
        "history_user": Field("user.account", Erasure.CLEAR),
        "history_actor": Field("user.account", Erasure.CLEAR),
        "history_change_reason": Field("user.content", Erasure.CLEAR),
    },
    not_personal=("history_id", "history_date", "history_type"),
)


def _label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def history_base(model: type[models.Model]) -> type[models.Model] | None:
    """For a django-simple-history copy, the model it copies."""
    instance_type = getattr(model, "instance_type", None)
    return (
        instance_type if isinstance(instance_type, type) and issubclass(instance_type, models.Model) else None
    )


def model_map(model: type[models.Model]) -> ModelMap | None:
    own = getattr(model, "data_map", None)
    if isinstance(own, ModelMap):
        return own
    base = history_base(model)
    if base is not None:
        base_map = model_map(base)
        if base_map is None:
            return None
        # A copy holds the same values as its model, plus who changed it and why.
        return ModelMap(
            personal={**base_map.personal, **_HISTORY_FIELDS.personal},
            not_personal=(*base_map.not_personal, *_HISTORY_FIELDS.not_personal),
            subject_path=base_map.subject_path,
        )
    return EXTERNAL.get(_label(model))


def concrete_fields(model: type[models.Model]) -> list[str]:
    """Every field a model stores or relates through (many-to-many included), by name."""
    names = [f.name for f in model._meta.get_fields() if not f.auto_created or f.concrete]
    return [n for n in names if _stores(model, n)]


def _stores(model: type[models.Model], name: str) -> bool:
    django_field = model._meta.get_field(name)
    return bool(django_field.concrete or django_field.many_to_many) and not (
        django_field.auto_created and not django_field.concrete
    )


def all_models() -> list[type[models.Model]]:
    return list(apps.get_models(include_auto_created=True))


def undeclared() -> list[str]:
    """'app.model.field' for every stored field no map declares, and every model without a map."""
    missing: list[str] = []
    for model in all_models():
        mapping = model_map(model)
        fields = concrete_fields(model)
        if mapping is None:
            missing.append(f"{_label(model)} (no data map)")
            continue
        declared = set(mapping.personal) | set(mapping.not_personal)
        missing.extend(f"{_label(model)}.{name}" for name in fields if name not in declared)
        missing.extend(
            f"{_label(model)}.{name} (declared but not a field)" for name in sorted(declared - set(fields))
        )
    return missing


@dataclass(frozen=True)
class Entry:
    model: str
    field: str
    category: str
    erasure: Erasure
    hold: str
    #: A secret that lets one log in: the person is told it is held, never given it (``Field.secret``).
    secret: bool = False


def personal_fields() -> Iterator[Entry]:
    """Every personal field of every model, for the printed map and the generic operations.

    A field that keeps copies (``Field.copies``) comes once for each category it copies.
    """
    for model in all_models():
        mapping = model_map(model)
        if mapping is None:
            continue
        for name, declared in mapping.personal.items():
            for category in declared.categories:
                yield Entry(_label(model), name, category, declared.erasure, declared.hold, declared.secret)
