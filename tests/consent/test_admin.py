"""Consent events in the staff view: listed and shown, never added, changed or deleted there."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User

from tests.accounts.personas import give_totp
from tests.consent.conftest import NEWSLETTER, SUPPORT
from trustdesk.consent.models import ConsentEvent
from trustdesk.consent.services import do_give_consent

pytestmark = pytest.mark.django_db


def test_it_registers_consent_events_read_only(rf):
    model_admin = admin.site._registry[ConsentEvent]
    request = rf.get("/admin/")
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_it_lists_and_shows_events_to_staff(client, policy, anna):
    event = do_give_consent(anna, NEWSLETTER, actor=SUPPORT, channel="email", method="email").event
    officer = User.objects.create_superuser("officer", "officer@provider.example", "a long password 123")
    give_totp(officer)  # the policy requires two-factor authentication for staff
    client.force_login(officer)
    listing = client.get("/admin/consent/consentevent/")
    assert listing.status_code == 200
    assert f"consent event {event.pk}" in listing.content.decode()
    detail = client.get(f"/admin/consent/consentevent/{event.pk}/change/")
    assert detail.status_code == 200
    assert event.text_sha256 in detail.content.decode()
    assert client.post(f"/admin/consent/consentevent/{event.pk}/delete/").status_code == 403
