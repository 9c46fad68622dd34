"""Rectification (Art. 16): through the registry's services, old values kept (P0.7), recipients listed (Art. 19)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.personas import STAFF
from trustdesk.registry.models import Disclosure, Person
from trustdesk.registry.services import do_create
from trustdesk.rights import services
from trustdesk.rights.fulfil import do_fulfil

pytestmark = pytest.mark.django_db


def _open(person, changes):
    request = services.do_open_request(
        "rectification",
        channel="email",
        actor=STAFF,
        person=person,
        language="en",
        specifics={"changes": changes},
    )
    services.do_verify_identity(request, method="staff", actor=STAFF)
    return request


def test_it_corrects_keeps_the_old_value_and_lists_who_received_the_data(people, smtp, commit) -> None:
    do_create(
        Disclosure,
        {
            "organisation": people.private,
            "recipient": "dns_registry",
            "disclosed_at": timezone.now(),
            "categories": ["user.name"],
            "source_kind": "organisation",
        },
        actor=STAFF,
    )
    request = _open(people.anna, {"last_name": "Peeters-Claes", "email": "anna.claes@example.be"})
    with commit():
        do_fulfil(request, actor=STAFF)
    anna = Person.objects.get(pk=people.anna.pk)
    assert (anna.last_name, anna.email) == ("Peeters-Claes", "anna.claes@example.be")
    assert anna.history.filter(last_name="Peeters").exists()
    assert anna.history.first().history_change_reason == f"rectified: request {request.reference}"
    text = smtp.text(smtp.to("anna@example.be")[-1])
    assert "email, last_name" in text and "dns_registry" in text


def test_it_refuses_a_field_that_is_not_personal_data_of_a_person(people) -> None:
    request = _open(people.anna, {"kind": "prospect"})
    with pytest.raises(services.RequestError, match="not personal fields of a person: kind"):
        do_fulfil(request, actor=STAFF)
    request.refresh_from_db()
    assert request.status == "in_progress"
