"""The administrators' read-only view of accounts, and the demo's log-ins."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.accounts.personas import Personas, log_in
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
    """One read-only base for every app's admin (``trustdesk.lib.admin.ReadOnlyAdmin``): nothing added,
    changed, deleted or done in bulk; every field shown read-only, except one an app leaves out (the sealed
    message of a notice kept to send again)."""
    from django.contrib import admin

    from trustdesk.accounts.models import UnsentNotice
    from trustdesk.lib.admin import ReadOnlyAdmin

    request = rf.get("/admin/")
    request.user = personas.ada
    ours = {m: a for m, a in admin.site._registry.items() if m.__module__.startswith("trustdesk.")}
    assert len(ours) >= 20  # every app's records; Django's and allauth's own admins are theirs
    for model, model_admin in ours.items():
        assert isinstance(model_admin, ReadOnlyAdmin), model
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert not model_admin.get_actions(request)
    notices = admin.site._registry[UnsentNotice]
    shown = notices.get_readonly_fields(request)
    assert "message" not in shown and {"template", "attempts", "given_up_at"} <= set(shown)
    assert "message" not in notices.get_fields(request)
