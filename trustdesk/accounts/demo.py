"""Log-ins for ``trustdesk demo``: a customer linked to a registry person, and one account per staff role.

All share one password, generated once and kept in ``DATA_DIR/demo-login`` (mode 0600).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction

from trustdesk.accounts.models import Profile
from trustdesk.accounts.services import do_create_account
from trustdesk.registry.models import Organisation, Person, Role
from trustdesk.registry.services import Actor, do_create, do_link_person

ACTOR = "operator:demo"
STAFF = (
    ("support", "support@demo.example", Profile.Role.SUPPORT),
    ("privacy officer", "privacy@demo.example", Profile.Role.PRIVACY_OFFICER),
    ("abuse desk", "abuse@demo.example", Profile.Role.ABUSE_DESK),
    ("administrator", "admin@demo.example", Profile.Role.ADMINISTRATOR),
)


def demo_password(data_dir: Path) -> str:
    secret = data_dir / "demo-login"
    if not secret.exists():
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(12))
    return secret.read_text(encoding="utf-8").strip()


def _customer_person() -> Person:
    role = Role.objects.filter(kind=Role.Kind.OWNER).exclude(person__email="").order_by("pk").first()
    if role is not None:
        return role.person
    operator = Actor.operator("demo")
    organisation = do_create(
        Organisation,
        {"name": "Demo Klant BV", "email": "info@klant.demo.example", "country": "NL"},
        actor=operator,
    )
    person = do_create(
        Person, {"first_name": "Demi", "last_name": "Klant", "email": "klant@demo.example"}, actor=operator
    )
    do_link_person(organisation, person, "owner", actor=operator)
    return person


def _ensure(email: str, role: str, password: str, person: Person | None = None) -> Any:
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=email).first()
    if user is None:
        user = do_create_account(email, role=role, person=person, verified=True, actor=ACTOR)
    with transaction.atomic():
        Profile.objects.get_or_create(user=user, defaults={"role": role, "person": person})
        EmailAddress.objects.update_or_create(
            user=user, email=email.lower(), defaults={"verified": True, "primary": True}
        )
        is_admin = role == Profile.Role.ADMINISTRATOR
        if not user.check_password(password) or user.is_staff != is_admin or user.is_superuser != is_admin:
            user.set_password(password)
            user.is_staff = user.is_superuser = is_admin
            user.save(update_fields=["password", "is_staff", "is_superuser"])
    return user


def demo_accounts(data_dir: Path) -> list[tuple[str, str, str]]:
    """Create (or keep) the demo log-ins; returns (who, e-mail address, password) for each."""
    password = demo_password(data_dir)
    existing = (
        Profile.objects.filter(role=Profile.Role.CUSTOMER).select_related("person").order_by("pk").first()
    )
    person = existing.person if existing is not None and existing.person is not None else _customer_person()
    customer = Profile.objects.filter(person=person).select_related("user").first()
    customer_user = (
        customer.user if customer else _ensure(person.email, Profile.Role.CUSTOMER, password, person)
    )
    _ensure(customer_user.email, Profile.Role.CUSTOMER, password, person)
    rows = [("customer", str(customer_user.email), password)]
    for label, email, role in STAFF:
        _ensure(email, role, password)
        rows.append((label, email, password))
    return rows
