"""The retention run: what the plan says is what the run does, once; people erased whole; the journal."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.retention.conftest import RETENTION_POLICY, at
from trustdesk.consent.models import ConsentEvent
from trustdesk.consent.services import do_give_consent, do_withdraw_consent
from trustdesk.journal.models import JournalEntry
from trustdesk.journal.verify import verify
from trustdesk.lib.pseudonyms import is_pseudonym
from trustdesk.registry.models import Interaction, Invoice, Organisation, Person
from trustdesk.registry.services import Actor, do_create, do_create_invoice, do_link_person
from trustdesk.retention.sweep import BATCH_ACTION, RUN_ACTION, make_plan, run

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("data_dir")]

STAFF = Actor.operator("tester")
D = dt.date


def _prospect(name: str, *, withdraw: bool, talk: bool = True) -> Person:
    with time_machine.travel(at(D(2025, 1, 10)), tick=False):
        person = do_create(
            Person, {"first_name": name, "last_name": "Peeters", "email": f"{name}@example.be"}, actor=STAFF
        )
    with time_machine.travel(at(D(2025, 2, 1)), tick=False):
        do_give_consent(
            person, "newsletter", actor=STAFF, channel="portal", method="portal", text="Send me news"
        )
    with time_machine.travel(at(D(2025, 3, 1)), tick=False):
        if withdraw:
            do_withdraw_consent(person, "newsletter", actor=STAFF, channel="email", method="email")
        if talk:
            do_create(
                Interaction,
                {
                    "person": person,
                    "direction": "in",
                    "occurred_at": at(D(2025, 3, 1)),
                    "summary": f"{name} asked",
                },
                actor=STAFF,
            )
    return person


@pytest.fixture
def world(publish):
    """Two prospects gone quiet (one withdrew consent), one still subscribed, a customer with an invoice."""
    with time_machine.travel(at(D(2025, 1, 1)), tick=False):
        publish(RETENTION_POLICY)
    gone = _prospect("anna", withdraw=True)
    quiet = _prospect("bert", withdraw=True, talk=False)
    subscribed = _prospect("carla", withdraw=False)
    with time_machine.travel(at(D(2025, 1, 10)), tick=False):
        org = do_create(Organisation, {"kind": "company", "name": "Bakkerij Jansen BV"}, actor=STAFF)
        dirk = do_create(Person, {"first_name": "Dirk", "email": "dirk@jansen.example"}, actor=STAFF)
        do_link_person(org, dirk, "owner", actor=STAFF)
        do_create_invoice(
            {
                "organisation": org,
                "number": "2024-9",
                "issued_on": D(2024, 12, 1),
                "fiscal_year_end": D(2024, 12, 31),
                "total": Decimal("50.00"),
                "billing_name": "Bakkerij Jansen BV",
                "billing_address": "Markt 1, Gent",
            },
            [],
            actor=STAFF,
        )
    return {"gone": gone, "quiet": quiet, "subscribed": subscribed, "dirk": dirk, "org": org}


def _state() -> dict[str, list[tuple[object, ...]]]:
    return {
        "people": sorted(Person.objects.values_list("pk", "first_name", "last_name", "email")),
        "interactions": sorted(Interaction.objects.values_list("pk", "summary")),
        "consent": sorted(ConsentEvent.objects.values_list("pk", "text")),
        "invoices": sorted(Invoice.objects.values_list("pk", "billing_name")),
        "history": sorted(Person.history.model.objects.values_list("pk", "first_name", "email")),
    }


def test_it_does_what_the_plan_says_and_nothing_the_second_time(world) -> None:
    with time_machine.travel(at(D(2025, 9, 1)), tick=False):
        plan = make_plan()
        planned = plan.counts(plan.due)
        assert planned["support"]["registry.interaction"] == {"deleted": 2}  # anna's and carla's
        # The proof of consent serves the newsletter too: carla's, still given, is kept.
        assert planned["support"]["consent.consentevent"] == {"deleted": 4}
        assert "registry.invoice" not in json.dumps(planned)
        report = run(actor=STAFF, batch_size=2)
        assert report.counts == planned
        assert report.people_erased == 2  # anna and bert: every record of theirs is due
        after = _state()
        again = run(actor=STAFF, batch_size=2)
        assert again.total() == 0 and again.people_erased == 0
        assert make_plan().due == []
        assert _state() == after
    gone = Person.objects.get(pk=world["gone"].pk)
    assert is_pseudonym(gone.first_name) and is_pseudonym(gone.email)
    assert not Interaction.objects.filter(person=world["gone"]).exists()
    assert not ConsentEvent.objects.filter(person__in=[world["gone"], world["quiet"]]).exists()
    assert ConsentEvent.objects.filter(person=world["subscribed"]).count() == 1
    carla = Person.objects.get(pk=world["subscribed"].pk)
    assert carla.first_name == "carla"  # consent still given: her newsletter clock has not started
    dirk = Person.objects.get(pk=world["dirk"].pk)
    assert dirk.first_name == "Dirk"  # a customer whose invoice is held: waits for the books
    assert Invoice.objects.get().billing_name == "Bakkerij Jansen BV"
    assert "anna@example.be" not in str(after["history"]) and "anna asked" not in str(after["interactions"])
    assert verify().ok


def test_it_writes_no_copy_of_a_deletion_that_its_copies_follow(world) -> None:
    """carla's interaction is deleted by itself (she is not erased whole): a copy of that deletion would be
    written only for the history map to delete it in the same batch. A deletion outside the run still
    gets its copy."""
    from simple_history.signals import pre_create_historical_record

    written: list[tuple[str, object, str]] = []

    def note(sender: Any, history_instance: Any, **kwargs: Any) -> None:
        written.append((sender._meta.label_lower, history_instance.id, history_instance.history_type))

    carla_said = Interaction.objects.get(person=world["subscribed"])
    pre_create_historical_record.connect(note)
    try:
        with time_machine.travel(at(D(2025, 9, 1)), tick=False):
            report = run(actor=STAFF, batch_size=500)
    finally:
        pre_create_historical_record.disconnect(note)
    assert report.counts["support"]["registry.interaction"] == {"deleted": 2}
    assert not Interaction.objects.filter(pk=carla_said.pk).exists()
    assert ("registry.historicalinteraction", carla_said.pk, "-") not in written
    assert not Interaction.history.model.objects.filter(id=carla_said.pk).exists()
    note_left = do_create(
        Interaction,
        {
            "person": world["dirk"],
            "direction": "in",
            "occurred_at": at(D(2025, 9, 1)),
            "summary": "dirk asked",
        },
        actor=STAFF,
    )
    left_pk = note_left.pk
    note_left.delete()
    assert Interaction.history.model.objects.filter(id=left_pk, history_type="-").exists()


def test_it_journals_each_batch_with_counts_only(world) -> None:
    with time_machine.travel(at(D(2025, 9, 1)), tick=False):
        report = run(actor=STAFF, batch_size=1)
    batches = list(JournalEntry.objects.filter(action=BATCH_ACTION, object_id=report.run).order_by("seq"))
    assert len(batches) == report.batches >= 2
    finished = JournalEntry.objects.get(action=RUN_ACTION, object_id=report.run)
    assert finished.payload is not None and finished.payload["counts"] == report.counts
    text = json.dumps([e.payload for e in batches]) + finished.actor + finished.object_type
    for personal in ("anna", "bert", "carla", "example.be", "Peeters"):
        assert personal not in text


def test_it_shows_the_coming_dates_and_the_held_invoice(world) -> None:
    with time_machine.travel(at(D(2025, 9, 1)), tick=False):
        plan = make_plan(until=D(2033, 1, 1)).as_dict()
    coming = {day["on"]: day["counts"] for day in plan["coming"]}
    assert coming["2032-01-01"]["invoicing"]["registry.invoice"] == {"anonymised": 1}
    assert plan["waiting"]["registry.person"]


def test_it_runs_from_the_command_line_with_a_dry_run_first(world) -> None:
    out = StringIO()
    with time_machine.travel(at(D(2025, 9, 1)), tick=False):
        before = _state()
        call_command("retention", "run", "--dry-run", "--json", stdout=out)
        dry = json.loads(out.getvalue())
        assert _state() == before
        out = StringIO()
        call_command("retention", "plan", stdout=out)
        assert "registry.interaction" in out.getvalue() and "2 deleted" in out.getvalue()
        out = StringIO()
        call_command("retention", "run", "--batch-size", "3", "--json", stdout=out)
        done = json.loads(out.getvalue())
    assert done["counts"] == dry["counts"] and done["records"] == dry["records"] > 0
    assert done["people_erased"] == dry["people_erased"] == 2
    with pytest.raises(CommandError, match="--batch-size must be at least 1, not 0"):
        call_command("retention", "run", "--batch-size", "0")
    with pytest.raises(CommandError, match="--until takes a day as YYYY-MM-DD"):
        call_command("retention", "plan", "--until", "tomorrow")


def test_it_refuses_to_run_without_a_policy(db) -> None:
    with pytest.raises(CommandError, match="no policy is in effect"):
        call_command("retention", "plan")


def test_it_reports_what_no_purpose_covers(publish) -> None:
    publish()  # the test policy without the support purpose: nothing covers free text
    person = do_create(Person, {"first_name": "Eva"}, actor=STAFF)
    do_create(
        Interaction,
        {"person": person, "direction": "in", "occurred_at": at(D(2025, 1, 1)), "summary": "x"},
        actor=STAFF,
    )
    out = StringIO()
    call_command("retention", "plan", "--json", stdout=out)
    plan = json.loads(out.getvalue())
    assert plan["untouched"]["registry.interaction"] == {"no purpose of the policy covers its data": 1}
    run(actor=STAFF)
    assert Interaction.objects.get().summary == "x"


def test_a_person_gone_quiet_is_erased_with_their_account_and_its_sessions(world) -> None:
    """A customer account is its person's data: when every record of a person is due, the account goes with
    them (its address pseudonymised, its addresses and sessions deleted), so nobody logs in with it again."""
    from allauth.account.models import EmailAddress
    from allauth.usersessions.models import UserSession
    from django.contrib.auth import get_user_model

    from trustdesk.accounts.models import Profile

    erin = _prospect("erin", withdraw=True)
    user = get_user_model().objects.create(
        username="erin@example.be", email="erin@example.be", last_login=at(D(2025, 3, 1))
    )
    Profile.objects.create(user=user, person=erin, role="customer")
    EmailAddress.objects.create(user=user, email="erin@example.be", verified=True, primary=True)
    with time_machine.travel(at(D(2025, 3, 1)), tick=False):
        UserSession.objects.create(user=user, ip="192.0.2.10", session_key="k" * 32, user_agent="Firefox")
    with time_machine.travel(at(D(2025, 9, 1)), tick=False):
        report = run(actor=STAFF, batch_size=50)
    assert report.people_erased == 3  # anna, bert and erin
    user.refresh_from_db()
    assert is_pseudonym(user.email) and is_pseudonym(user.username)
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not UserSession.objects.filter(user=user).exists()
    assert is_pseudonym(Person.objects.get(pk=erin.pk).email)
    assert verify().ok


def test_a_staff_account_and_its_authenticator_and_sessions_are_never_in_the_plan(publish) -> None:
    """Staff accounts belong to no person of the registry: a customers' purpose that runs from collection
    must not take a member of staff's authenticator or sessions with it."""
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession
    from django.contrib.auth import get_user_model

    from tests.conftest import POLICY
    from tests.retention.conftest import purpose
    from trustdesk.accounts.models import Profile

    panel = purpose("panel", "user.authorization, user.device.ip_address", "P1M from collection")
    with time_machine.travel(at(D(2025, 1, 1)), tick=False):
        publish(POLICY.replace("rights:\n", panel + "    requirement: optional\nrights:\n", 1))
        staff = get_user_model().objects.create(username="sam@hoster.example", email="sam@hoster.example")
        Profile.objects.create(user=staff, role="privacy_officer")
        Authenticator.objects.create(user=staff, type="totp", data={"secret": "x"})
        UserSession.objects.create(user=staff, ip="192.0.2.10", session_key="k" * 32, user_agent="Firefox")
    named = json.dumps(make_plan(today=D(2026, 1, 1)).as_dict())
    assert "mfa.authenticator" not in named and "usersessions.usersession" not in named, named
    run(actor=STAFF, today=D(2026, 1, 1))
    assert (
        Authenticator.objects.filter(user=staff).exists() and UserSession.objects.filter(user=staff).exists()
    )
