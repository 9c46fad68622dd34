"""Retention clocks: one per start event, month ends and leap years, several purposes, legal holds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model

from tests.retention.conftest import policy_with, purpose, verdict_of
from trustdesk.consent.services import do_give_consent, do_withdraw_consent
from trustdesk.registry.models import Interaction, Organisation, Person, Service, ServiceIdentifier
from trustdesk.registry.services import Actor, do_create, do_create_invoice, do_update
from trustdesk.retention.clocks import State

pytestmark = pytest.mark.django_db

STAFF = Actor.operator("tester")
D = dt.date


def _at(day: D, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def _person_created_on(day: D, **data: str) -> Person:
    with time_machine.travel(_at(day), tick=False):
        return do_create(Person, {"first_name": "Anna", "email": "anna@example.be", **data}, actor=STAFF)


@pytest.mark.parametrize(
    ("created", "last_kept", "period"),
    [
        (D(2026, 1, 31), D(2026, 2, 28), "P1M"),  # 31 January + one month: the last day of February
        (D(2028, 1, 31), D(2028, 2, 29), "P1M"),  # in a leap year, 29 February
        (D(2028, 2, 29), D(2029, 2, 28), "P1Y"),  # 29 February + a year: 28 February
        (D(2026, 3, 31), D(2026, 4, 30), "P1M"),
        (D(2026, 12, 31), D(2027, 1, 30), "P30D"),
    ],
)
def test_it_runs_a_clock_from_collection_across_month_ends(created: D, last_kept: D, period: str) -> None:
    person = _person_created_on(created)
    policy = policy_with(purpose("contact", "user.name", f"{period} from collection"))
    kept = verdict_of(person, policy, last_kept)
    assert kept.state is State.SCHEDULED
    assert kept.due_on == last_kept + dt.timedelta(days=1)
    due = verdict_of(person, policy, last_kept + dt.timedelta(days=1))
    assert due.state is State.DUE
    assert due.purpose == "contact"


def test_it_runs_a_clock_from_the_last_activity_of_the_person() -> None:
    person = _person_created_on(D(2025, 1, 10))
    with time_machine.travel(_at(D(2026, 1, 31)), tick=False):
        do_create(
            Interaction,
            {
                "person": person,
                "direction": "in",
                "occurred_at": _at(D(2026, 1, 31)),
                "subject": "a question",
            },
            actor=STAFF,
        )
    policy = policy_with(purpose("contact", "user.name", "P1M from last_activity"))
    assert verdict_of(person, policy, D(2026, 2, 28)).state is State.SCHEDULED
    assert verdict_of(person, policy, D(2026, 3, 1)).state is State.DUE


def _org_with_service(ends_on: D | None, **extra: object) -> tuple[Organisation, Service]:
    org = do_create(Organisation, {"name": "Bakkerij Jansen BV", "kind": "company"}, actor=STAFF)
    service = do_create(
        Service,
        {"organisation": org, "kind": "web_hosting", "label": "shop", "ends_on": ends_on, **extra},
        actor=STAFF,
    )
    return org, service


def test_it_runs_a_clock_from_the_end_of_the_contract() -> None:
    org, service = _org_with_service(None)
    policy = policy_with(purpose("customers", "user.contact.organization", "P1M from end_of_contract"))
    assert verdict_of(org, policy, D(2027, 1, 1)).state is State.WAITING  # a service still runs
    do_update(service, {"ends_on": D(2026, 1, 31)}, actor=STAFF)
    assert verdict_of(org, policy, D(2026, 2, 28)).state is State.SCHEDULED
    assert verdict_of(org, policy, D(2026, 3, 1)).state is State.DUE
    do_update(
        org, {"ended_on": D(2026, 3, 31), "status": "ended"}, actor=STAFF
    )  # the contract's own end wins
    assert verdict_of(org, policy, D(2026, 4, 30)).due_on == D(2026, 5, 1)


def test_it_runs_a_clock_from_the_end_of_a_service() -> None:
    _, service = _org_with_service(D(2024, 1, 31))
    policy = policy_with(purpose("hosting", "user.unique_id", "P1M from end_of_service"))
    assert verdict_of(service, policy, D(2024, 2, 29)).state is State.SCHEDULED  # leap year
    assert verdict_of(service, policy, D(2024, 3, 1)).state is State.DUE
    _, running = _org_with_service(None)
    assert verdict_of(running, policy, D(2030, 1, 1)).state is State.WAITING


def test_it_runs_a_clock_from_the_end_of_the_fiscal_year_of_an_invoice() -> None:
    org = do_create(Organisation, {"name": "Bakkerij Jansen BV"}, actor=STAFF)
    invoice = do_create_invoice(
        {
            "organisation": org,
            "number": "2024-1",
            "issued_on": D(2024, 2, 29),
            "fiscal_year_end": D(2024, 2, 29),
            "total": Decimal("10.00"),
            "billing_name": "Bakkerij Jansen BV",
        },
        [],
        actor=STAFF,
    )
    policy = policy_with(
        purpose("books", "user.name", "P7Y from end_of_fiscal_year_of_invoice", basis="legal_obligation")
    )
    assert verdict_of(invoice, policy, D(2031, 2, 28)).state is State.SCHEDULED
    assert verdict_of(invoice, policy, D(2031, 3, 1)).state is State.DUE


def _certificate(org: Organisation, domain: str, expires: D) -> Service:
    cert = do_create(
        Service,
        {
            "organisation": org,
            "kind": "ssl_certificate",
            "label": domain,
            "certificate_type": "ov",
            "certificate_expires_on": expires,
        },
        actor=STAFF,
    )
    do_create(ServiceIdentifier, {"service": cert, "kind": "domain", "value": domain}, actor=STAFF)
    return cert


def test_it_runs_a_clock_from_a_certificate_expiry_only_without_renewal() -> None:
    org = do_create(Organisation, {"name": "Bakkerij Jansen BV"}, actor=STAFF)
    old = _certificate(org, "shop.example", D(2026, 1, 31))
    other = _certificate(org, "blog.example", D(2026, 1, 31))
    policy = policy_with(purpose("ssl", "user.unique_id", "P30D from certificate_expiry"))
    assert verdict_of(old, policy, D(2026, 3, 3)).state is State.DUE
    _certificate(org, "shop.example", D(2027, 1, 31))  # renewed: the same organisation and domain
    assert verdict_of(old, policy, D(2026, 3, 3)).state is State.WAITING
    assert verdict_of(old, policy, D(2027, 3, 3)).state is State.DUE  # the renewal expired too
    assert verdict_of(other, policy, D(2026, 3, 3)).state is State.DUE  # another domain: not renewed
    hosting = do_create(Service, {"organisation": org, "kind": "web_hosting", "label": "x"}, actor=STAFF)
    assert verdict_of(hosting, policy, D(2030, 1, 1)).state is State.WAITING  # no certificate: no clock


def test_it_runs_a_clock_from_a_consent_withdrawal(publish) -> None:
    with time_machine.travel(_at(D(2025, 1, 1)), tick=False):
        publish()
    person = _person_created_on(D(2025, 1, 1))
    policy = policy_with(
        purpose("newsletter", "user.contact.email", "P1M from consent_withdrawal", basis="consent")
    )
    assert (
        verdict_of(person, policy, D(2030, 1, 1)).state is State.WAITING
    )  # never consented: no clock applies
    with time_machine.travel(_at(D(2025, 6, 1)), tick=False):
        do_give_consent(
            person, "newsletter", actor=STAFF, channel="portal", method="portal", text="Yes, send it"
        )
    assert verdict_of(person, policy, D(2030, 1, 1)).state is State.WAITING
    with time_machine.travel(_at(D(2026, 1, 31)), tick=False):
        do_withdraw_consent(person, "newsletter", actor=STAFF, channel="email", method="email")
    assert verdict_of(person, policy, D(2026, 2, 28)).state is State.SCHEDULED
    assert verdict_of(person, policy, D(2026, 3, 1)).state is State.DUE


def test_it_runs_a_clock_from_the_closing_of_a_case(people) -> None:
    from trustdesk.rights.models import Request

    with time_machine.travel(_at(D(2026, 1, 31)), tick=False):
        request = Request.objects.create(
            reference="R-1",
            kind="access",
            channel="email",
            person=people.bob,
            email="bob@jansen.example",
            received_at=_at(D(2026, 1, 2)),
            received_on=D(2026, 1, 2),
            due_on=D(2026, 2, 2),
            created_by="test",
        )
    policy = policy_with(purpose("requests", "user.content", "P1M from case_closed"))
    assert verdict_of(request, policy, D(2030, 1, 1)).state is State.WAITING  # still open
    Request.objects.filter(pk=request.pk).update(closed_at=_at(D(2026, 1, 31)), status="fulfilled")
    assert verdict_of(request, policy, D(2026, 2, 28)).state is State.SCHEDULED
    assert verdict_of(request, policy, D(2026, 3, 1)).state is State.DUE


def test_it_keeps_a_record_of_several_purposes_until_the_last_clock_runs_out() -> None:
    person = _person_created_on(D(2026, 1, 31))
    policy = policy_with(
        purpose("short", "user.name", "P1M from collection"),
        purpose("long", "user.contact", "P1Y from collection"),
    )
    found = verdict_of(person, policy, D(2026, 6, 1))
    assert found.state is State.SCHEDULED
    assert (found.purpose, found.due_on) == ("long", D(2027, 2, 1))
    assert {c.purpose for c in found.clocks} == {"short", "long"}


def test_it_lets_a_legal_hold_win_over_a_shorter_purpose() -> None:
    org = do_create(Organisation, {"name": "Bakkerij Jansen BV"}, actor=STAFF)
    invoice = do_create_invoice(
        {
            "organisation": org,
            "number": "2026-1",
            "issued_on": D(2026, 1, 31),
            "fiscal_year_end": D(2026, 12, 31),
            "total": Decimal("10.00"),
            "billing_name": "Anna Peeters",
        },
        [],
        actor=STAFF,
    )
    policy = policy_with(
        purpose("hosting", "user.name", "P1M from collection"),
        purpose(
            "books",
            "user.contact.address",
            "P7Y from end_of_fiscal_year_of_invoice",
            basis="legal_obligation",
        ),
    )
    found = verdict_of(invoice, policy, D(2027, 1, 1))
    assert found.state is State.SCHEDULED
    assert (found.purpose, found.due_on) == ("books", D(2034, 1, 1))  # the billing name is held too
    held_only = policy_with(purpose("hosting", "user.name", "P1M from collection"))
    found = verdict_of(invoice, held_only, D(2027, 1, 1))
    assert found.state is State.WAITING  # no legal obligation says until when: kept
    assert "legal hold end_of_fiscal_year_of_invoice" in found.reason


def test_it_never_touches_a_record_whose_purpose_sets_no_retention() -> None:
    person = _person_created_on(D(2020, 1, 1))
    policy = policy_with(
        purpose("short", "user.name", "P1M from collection"), purpose("forever", "user.contact", None)
    )
    found = verdict_of(person, policy, D(2030, 1, 1))
    assert found.state is State.UNTOUCHED
    assert found.reason == "purpose forever sets no retention"
    interaction = do_create(
        Interaction,
        {"person": person, "direction": "in", "occurred_at": _at(D(2020, 1, 1)), "summary": "x"},
        actor=STAFF,
    )
    assert verdict_of(interaction, policy, D(2030, 1, 1)).reason == "no purpose of the policy covers its data"


def test_a_purpose_for_staff_alone_keeps_no_record_of_the_registry() -> None:
    """The registry's people are never the provider's staff (a staff account has no person): a purpose whose
    data subjects are all employees gives their records no clock, however its categories read."""
    person = _person_created_on(D(2020, 1, 1))
    staff = purpose("staff_accounts", "user.name", "P1M from collection").replace(
        "data_subjects: [customer]", "data_subjects: [employee]"
    )
    policy = policy_with(staff)
    assert [key for key, p in policy.purposes.items() if p.staff_only] == ["staff_accounts"]
    assert verdict_of(person, policy, D(2030, 1, 1)).reason == "no purpose of the policy covers its data"
    both = policy_with(staff.replace("data_subjects: [employee]", "data_subjects: [employee, customer]"))
    assert verdict_of(person, both, D(2030, 1, 1)).state is State.DUE


def test_a_record_reached_through_two_relations_runs_its_clock_from_its_own_person() -> None:
    """A step of a request reaches its person through the request (``request__person``): its clock runs
    from that person's last activity, never from the person whose id happens to be the request's."""
    from trustdesk.registry.datamap_ops import reaches
    from trustdesk.retention.clocks import Context, verdicts
    from trustdesk.rights.models import Event, Request

    idle = _person_created_on(D(2025, 1, 10))
    active = _person_created_on(D(2026, 6, 1), first_name="Bert", email="bert@example.be")
    request = Request.objects.create(
        pk=idle.pk,  # the id of the request is the id of the other person
        reference="R-1",
        kind="access",
        channel="email",
        person=active,
        email="bert@example.be",
        received_at=_at(D(2026, 6, 1)),
        received_on=D(2026, 6, 1),
        due_on=D(2026, 7, 1),
        created_by="test",
    )
    step = Event.objects.create(
        request=request, at=_at(D(2026, 6, 1)), actor="test", action="note", note="called"
    )
    policy = policy_with(purpose("notes", "user.content", "P1M from last_activity"))
    today = D(2026, 6, 15)
    assert verdict_of(idle, policy, today).state is State.DUE  # the other person's own clock has run out

    assert verdict_of(step, policy, today).state is State.SCHEDULED  # the row as read elsewhere
    reach = next(r for r in reaches() if r.model is Event)
    [(found, _)] = list(verdicts(Context(policy, today), reach, [step.pk]))  # the row as the sweep reads it
    assert found.state is State.SCHEDULED and found.due_on == D(2026, 7, 2)


def test_a_log_in_to_the_portal_is_activity_of_the_person() -> None:
    """A customer who uses their account is active, however long their registry records have not changed: a
    clock from their last activity runs from their last log-in or the last use of a session."""
    from allauth.usersessions.models import UserSession

    from trustdesk.accounts.models import Profile

    person = _person_created_on(D(2025, 1, 10))
    user = get_user_model().objects.create(username="anna@example.be", email="anna@example.be")
    Profile.objects.create(user=user, person=person, role="customer")
    policy = policy_with(purpose("contact", "user.name", "P1M from last_activity"))
    today = D(2026, 6, 15)
    assert verdict_of(person, policy, today).state is State.DUE  # no log-in yet: the registry's dates alone
    get_user_model().objects.filter(pk=user.pk).update(last_login=_at(D(2026, 5, 1)))
    assert verdict_of(person, policy, today).due_on == D(2026, 6, 2)
    UserSession.objects.create(
        user=user,
        ip="192.0.2.10",
        session_key="k" * 32,
        user_agent="Firefox",
        last_seen_at=_at(D(2026, 6, 10)),
    )
    found = verdict_of(person, policy, today)
    assert found.state is State.SCHEDULED and found.due_on == D(2026, 7, 11)
