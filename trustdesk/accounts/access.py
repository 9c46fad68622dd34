"""Who may see what: one helper per audience.

Customers reach organisations only through their registry roles (``registry.Role``); staff by their
role (``Profile.Role``). Views call these helpers and never filter by hand: a customer asking for an
organisation that is not theirs gets 404, as if it did not exist.

What a customer sees of one of their organisations depends on their registry role there:

===========  =======  ========  ========  ========
section      owner    billing   technical user
===========  =======  ========  ========  ========
details      yes      yes       yes       yes
contacts     yes      no        no        no
services     yes      no        yes       no
invoices     yes      yes       no        no
===========  =======  ========  ========  ========
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import router
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils import timezone

from trustdesk.accounts.models import STAFF_ROLES, Profile
from trustdesk.lib import prepared
from trustdesk.registry.models import Organisation, Person, Role

UserLike = AbstractBaseUser | AnonymousUser
View = TypeVar("View", bound=Callable[..., HttpResponseBase])

#: Which sections of an organisation each registry role shows its holder (see the table above).
SECTIONS: dict[str, frozenset[str]] = {
    Role.Kind.OWNER: frozenset({"details", "contacts", "services", "invoices"}),
    Role.Kind.BILLING: frozenset({"details", "invoices"}),
    Role.Kind.TECHNICAL: frozenset({"details", "services"}),
    Role.Kind.USER: frozenset({"details"}),
}


#: The profile's columns, in the order ``Model.from_db`` takes them.
_PROFILE_COLUMNS = tuple(field.attname for field in Profile._meta.concrete_fields)
#: The relation from a user to its profile (``user.profile``), whose cache ``_load_profile`` fills.
_PROFILE_OF_USER = Profile._meta.get_field("user").remote_field


def _profile_by_user(values: Sequence[Any]) -> QuerySet[Any]:
    return Profile.objects.filter(user_id=values[0]).values_list(*_PROFILE_COLUMNS)


def _load_profile(user: AbstractBaseUser) -> None:
    """Read the user's profile (or that there is none) once, into the cache that ``user.profile`` reads:
    the query runs on every signed-in request, so it is built and compiled once (``lib.prepared``)."""
    rows = prepared.values_of(Profile, "accounts.profile", _profile_by_user, [user.pk])
    profile = None
    if rows:
        profile = Profile.from_db(router.db_for_read(Profile), _PROFILE_COLUMNS, rows[0])
        Profile._meta.get_field("user").set_cached_value(profile, user)
    _PROFILE_OF_USER.set_cached_value(user, profile)


def _profile(user: UserLike | None) -> Profile | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.pk is not None and not _PROFILE_OF_USER.is_cached(user):
        _load_profile(user)
    try:
        return cast(Profile, getattr(user, "profile"))  # noqa: B009  (not on AbstractBaseUser)
    except Profile.DoesNotExist:
        return None


def person_for_user(user: UserLike | None) -> Person | None:
    """The registry person behind a customer's account; None for staff and visitors."""
    profile = _profile(user)
    return profile.person if profile is not None else None


def role_of(user: UserLike | None) -> str | None:
    """The user's role (a ``Profile.Role`` value), or None for a visitor or a user without a profile."""
    profile = _profile(user)
    return profile.role if profile is not None else None


def has_role(user: UserLike | None, *roles: str) -> bool:
    return role_of(user) in roles


def is_staff_member(user: UserLike | None) -> bool:
    return role_of(user) in STAFF_ROLES


def user_has_two_factor(user: UserLike | None) -> bool:
    """Whether the user has an authenticator app (TOTP) set up."""
    if user is None or not user.is_authenticated:
        return False
    from allauth.mfa.models import Authenticator

    def build(values: Sequence[Any]) -> QuerySet[Any]:
        return Authenticator.objects.filter(user_id=values[0], type=values[1]).values_list("pk")[:1]

    found = prepared.values_of(
        Authenticator, "accounts.has_totp", build, [user.pk, str(Authenticator.Type.TOTP)]
    )
    return bool(found)


def _current_roles(person: Person) -> QuerySet[Role]:
    today = timezone.localdate()
    return (
        Role.objects.filter(person=person)
        .filter(Q(since__isnull=True) | Q(since__lte=today))
        .filter(Q(until__isnull=True) | Q(until__gte=today))
    )


def organisations_for_customer(user: UserLike | None) -> QuerySet[Organisation]:
    """The organisations in which the customer's person holds a current registry role."""
    person = person_for_user(user)
    if person is None or role_of(user) != Profile.Role.CUSTOMER:
        return Organisation.objects.none()
    return Organisation.objects.filter(pk__in=_current_roles(person).values("organisation")).order_by("name")


def sections_for_customer(user: UserLike | None, organisation: Organisation) -> frozenset[str]:
    """The sections of an organisation the customer may see: the union over their roles there."""
    person = person_for_user(user)
    if person is None:
        return frozenset()
    kinds = _current_roles(person).filter(organisation=organisation).values_list("kind", flat=True)
    shown: set[str] = set()
    for kind in kinds:
        shown |= SECTIONS.get(kind, frozenset())
    return frozenset(shown)


def sections_by_organisation(user: UserLike | None) -> dict[int, frozenset[str]]:
    """For each of the customer's organisations (a current registry role there), the sections they may
    see: :func:`sections_for_customer` of every organisation of :func:`organisations_for_customer`, in one
    query."""
    person = person_for_user(user)
    if person is None or role_of(user) != Profile.Role.CUSTOMER:
        return {}
    shown: dict[int, set[str]] = {}
    for organisation_id, kind in _current_roles(person).values_list("organisation_id", "kind"):
        shown.setdefault(organisation_id, set()).update(SECTIONS.get(kind, frozenset()))
    return {organisation_id: frozenset(sections) for organisation_id, sections in shown.items()}


def get_organisation_for_customer(request: HttpRequest, org_id: int | str) -> Organisation:
    """The customer's organisation with this id, or 404 (also for organisations of others)."""
    try:
        pk = int(org_id)
    except (TypeError, ValueError):
        raise Http404("no such organisation") from None
    organisation = organisations_for_customer(request.user).filter(pk=pk).first()
    if organisation is None:
        raise Http404("no such organisation")
    return organisation


def customer_required(view: View) -> View:
    """Customers only: visitors are sent to log in, staff get 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if role_of(request.user) != Profile.Role.CUSTOMER:
            raise PermissionDenied("this page is for customers")
        return view(request, *args, **kwargs)

    return cast(View, wrapped)


def staff_required(*roles: str) -> Callable[[View], View]:
    """Staff with one of these roles (any staff role when none is given); visitors log in, others get 403."""
    allowed = tuple(roles) or STAFF_ROLES
    unknown = set(allowed) - set(STAFF_ROLES)
    if unknown:
        raise ValueError(f"not staff roles: {', '.join(sorted(unknown))}")

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if role_of(request.user) not in allowed:
                raise PermissionDenied("this page is for other staff roles")
            return view(request, *args, **kwargs)

        return cast(View, wrapped)

    return decorator
