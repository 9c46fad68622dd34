"""The administrators' read-only view of accounts, and the demo's log-ins."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.accounts.personas import PASSWORD, Personas, log_in
from trustdesk.accounts.demo import STAFF, demo_accounts
from trustdesk.accounts.models import Profile

pytestmark = pytest.mark.django_db


def test_it_shows_accounts_to_the_administrator_without_a_way_to_change_them(
    client, personas: Personas
) -> None:
    client.force_login(personas.ada)
    page = client.get("/admin/accounts/profile/")
    assert page.status_code == 200 and "privacy officer" in page.content.decode()
    assert client.get("/admin/accounts/profile/add/").status_code == 403
    profile = Profile.objects.get(user=personas.olga)
    assert client.post(f"/admin/accounts/profile/{profile.pk}/delete/", {"post": "yes"}).status_code == 403


def test_it_makes_a_customer_and_one_log_in_per_staff_role_for_the_demo(
    client, publish, tmp_path: Path
) -> None:
    publish()
    rows = demo_accounts(tmp_path)
    assert [who for who, _, _ in rows] == ["customer", *(label for label, _, _ in STAFF)]
    password = (tmp_path / "demo-login").read_text(encoding="utf-8").strip()
    assert {p for _, _, p in rows} == {password}
    customer = Profile.objects.get(role="customer")
    assert customer.person is not None and customer.person.roles.filter(kind="owner").exists()
    assert set(Profile.objects.values_list("role", flat=True)) == set(Profile.Role.values)
    assert demo_accounts(tmp_path) == rows  # run again: the same log-ins
    assert Profile.objects.count() == 5
    assert log_in(client, rows[0][1], password)["Location"] == "/account/"


def test_every_admin_is_read_only_and_a_sealed_field_stays_out(rf, personas: Personas) -> None:
    """One read-only base for every admin, Django's and allauth's included (``trustdesk.lib.admin.ReadOnlyAdmin``): nothing added,
    changed, deleted or done in bulk; every field shown read-only, except one an app leaves out (the sealed
    message of a notice kept to send again)."""
    from django.contrib import admin

    from trustdesk.accounts.models import UnsentNotice
    from trustdesk.lib.admin import ReadOnlyAdmin

    request = rf.get("/admin/")
    request.user = personas.ada
    registered = admin.site._registry
    assert len(registered) >= 25  # every app's records, and accounts through their read-only admins
    for model, model_admin in registered.items():
        assert isinstance(model_admin, ReadOnlyAdmin), model
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert not model_admin.get_actions(request)
    notices = admin.site._registry[UnsentNotice]
    shown = notices.get_readonly_fields(request)
    assert "message" not in shown and {"template", "attempts", "given_up_at"} <= set(shown)
    assert "message" not in notices.get_fields(request)


def test_the_admin_changes_no_account_and_shows_no_secret_of_one(client, personas: Personas) -> None:
    """Django's and allauth's own admins let an administrator change an account unseen: set its password
    or address, mark an address verified, remove an authenticator app without the wait and the second
    member of staff that a removal needs (P3.15), or read the secret of an app, the key of an open session.
    Here they are read-only, and the secrets stay out."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession

    from tests.accounts.personas import give_totp

    secret = give_totp(personas.olga)
    app = Authenticator.objects.get(user=personas.olga)
    address = EmailAddress.objects.create(user=personas.olga, email="olga.home@example.com", verified=False)
    session = UserSession.objects.create(
        user=personas.olga, ip="192.0.2.7", session_key="k" * 32, user_agent="Firefox", data={"x": 1}
    )
    client.force_login(personas.ada)
    olga = personas.olga.pk
    refused = {
        f"/admin/auth/user/{olga}/password/": {"password1": "x" * 20, "password2": "x" * 20},
        f"/admin/auth/user/{olga}/change/": {"username": "olga", "email": "mallory@example.net"},
        f"/admin/auth/user/{olga}/delete/": {"post": "yes"},
        "/admin/auth/user/add/": {"username": "mallory", "password1": "x" * 20, "password2": "x" * 20},
        f"/admin/mfa/authenticator/{app.pk}/delete/": {"post": "yes"},
        f"/admin/account/emailaddress/{address.pk}/change/": {
            "email": "mallory@example.net",
            "verified": "on",
        },
        f"/admin/usersessions/usersession/{session.pk}/delete/": {"post": "yes"},
    }
    for url, data in refused.items():
        assert client.post(url, data).status_code == 403, url
    actions = client.post(
        "/admin/account/emailaddress/", {"action": "make_verified", "_selected_action": [address.pk]}
    )
    assert actions.status_code in (200, 302)
    assert "make_verified" not in client.get("/admin/account/emailaddress/").content.decode()
    personas.olga.refresh_from_db()
    assert personas.olga.check_password(PASSWORD) and personas.olga.email != "mallory@example.net"
    assert (
        Authenticator.objects.filter(pk=app.pk).exists()
        and UserSession.objects.filter(pk=session.pk).exists()
    )
    address.refresh_from_db()
    assert not address.verified and address.email == "olga.home@example.com"
    assert not get_user_model().objects.filter(username="mallory").exists()
    pages = {
        f"/admin/auth/user/{olga}/change/": personas.olga.password,
        f"/admin/mfa/authenticator/{app.pk}/change/": secret,
        f"/admin/usersessions/usersession/{session.pk}/change/": "k" * 32,
    }
    for url, hidden in pages.items():
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.content.decode()
        assert hidden not in text and 'name="_save"' not in text, url
    hash_algorithm = personas.olga.password.split("$")[0]  # the password's hash, not even in part
    assert hash_algorithm not in client.get(f"/admin/auth/user/{olga}/change/").content.decode()
    assert client.get("/admin/auth/group/").status_code == 404  # roles are the profile's: no groups
    # The admin's own password page would not tell the owner by e-mail: allauth's page does.
    changed = client.post("/admin/password_change/", {"old_password": PASSWORD, "new_password1": "x" * 20})
    assert changed.status_code == 302 and changed["Location"] == "/account/password/change/"
    personas.ada.refresh_from_db()
    assert personas.ada.check_password(PASSWORD)
