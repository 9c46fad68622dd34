"""Restriction (Art. 18) and objection (Art. 21), and the one question every feature asks: may_process."""

from __future__ import annotations

import pytest

from tests.personas import STAFF
from trustdesk.rights import services
from trustdesk.rights.fulfil import do_announce_lift, do_decide_objection, do_fulfil, do_lift_restriction
from trustdesk.rights.models import Objection, Restriction, Status
from trustdesk.rights.processing import STORAGE, may_process

pytestmark = pytest.mark.django_db


def _fulfil(kind, person, commit, **extra):
    with commit():
        request = services.do_open_request(
            kind, channel="email", actor=STAFF, person=person, language="en", **extra
        )
        services.do_verify_identity(request, method="staff", actor=STAFF)
        do_fulfil(request, actor=STAFF)
    request.refresh_from_db()
    return request


def test_it_allows_only_storage_while_restricted_and_lifts_only_after_telling(people, smtp, commit) -> None:
    assert may_process(people.anna, "invoicing")
    _fulfil("restriction", people.anna, commit)
    verdict = may_process(people.anna, "invoicing")
    assert not verdict and "restricted" in verdict.reason
    assert may_process(people.anna, STORAGE)
    restriction = Restriction.objects.get(person=people.anna)
    with pytest.raises(services.RequestError, match="tell the person first"):
        do_lift_restriction(restriction, actor=STAFF)
    with commit():
        do_announce_lift(restriction, actor=STAFF, reason="The invoice dispute is settled.")
    assert "The invoice dispute is settled." in smtp.text(smtp.to("anna@example.be")[-1])
    do_lift_restriction(restriction, actor=STAFF)
    assert may_process(people.anna, "invoicing")


def test_it_stops_direct_marketing_at_once(people, commit) -> None:
    request = _fulfil("objection", people.anna, commit)
    assert request.status == Status.FULFILLED
    assert Objection.objects.get(person=people.anna).decision == "upheld"
    verdict = may_process(people.anna, "newsletter")
    assert not verdict and "direct marketing" in verdict.reason
    assert may_process(people.anna, "invoicing")


def test_it_records_an_objection_to_a_legal_obligation_as_not_applicable(people, commit) -> None:
    request = _fulfil("objection", people.anna, commit, specifics={"purposes": ["invoicing"]})
    assert request.status == Status.FULFILLED
    assert Objection.objects.get().decision == "rejected"
    assert may_process(people.anna, "invoicing")


def test_it_refuses_an_unknown_purpose(people) -> None:
    assert not may_process(people.anna, "astrology")
    request = services.do_open_request(
        "objection", channel="email", actor=STAFF, person=people.anna, specifics={"purposes": ["astrology"]}
    )
    services.do_verify_identity(request, method="staff", actor=STAFF)
    with pytest.raises(services.RequestError, match="no purpose 'astrology'"):
        do_fulfil(request, actor=STAFF)


def test_it_leaves_an_objection_on_legitimate_interest_to_a_staff_decision(
    publish, people, smtp, commit
) -> None:
    from tests.personas import POLICY

    publish(
        POLICY.replace(
            "purposes:\n",
            """purposes:
  prospecting:
    name: {en: Prospecting, nl: Prospectie}
    data_use: marketing.advertising.first_party
    legal_basis: legitimate_interests
    legitimate_interest: {en: Finding new customers, nl: Nieuwe klanten vinden}
    data_subjects: [prospect]
    data_categories: [user.contact.email]
    requirement: optional
    objection: {en: Reply STOP to any message., nl: Antwoord STOP op elk bericht.}
    retention: {period: P1Y, from: last_activity, action: delete}
  fraud:
    name: {en: Fraud prevention, nl: Fraudepreventie}
    data_use: essential.service.security
    legal_basis: legitimate_interests
    legitimate_interest: {en: Preventing fraud, nl: Fraude voorkomen}
    data_subjects: [customer]
    data_categories: [user.contact.email]
    requirement: optional
    objection: {en: Write to us., nl: Schrijf ons.}
    retention: {period: P1Y, from: last_activity, action: delete}
""",
            1,
        )
    )
    request = _fulfil("objection", people.anna, commit, specifics={"purposes": ["fraud", "prospecting"]})
    assert request.status == Status.IN_PROGRESS
    decisions = dict(Objection.objects.values_list("purpose", "decision"))
    assert decisions == {"fraud": "pending", "prospecting": "upheld"}  # marketing: at once
    assert may_process(people.anna, "fraud")
    with pytest.raises(services.RequestError, match="needs its reasons"):
        do_decide_objection(Objection.objects.get(purpose="fraud"), upheld=False, reasons="", actor=STAFF)
    with commit():
        do_decide_objection(
            Objection.objects.get(purpose="fraud"), upheld=True, reasons="No fraud risk left.", actor=STAFF
        )
    request.refresh_from_db()
    assert request.status == Status.FULFILLED
    assert not may_process(people.anna, "fraud")
    assert "fraud: upheld" in smtp.text(smtp.to("anna@example.be")[-1])


def test_it_withdraws_consent_through_a_request_and_the_purpose_stops(people, commit) -> None:
    from trustdesk.consent.queries import has_consent
    from trustdesk.consent.services import do_give_consent

    do_give_consent(
        people.anna,
        "newsletter",
        actor=STAFF,
        channel="website",
        method="form",
        text="Send me the newsletter.",
    )
    assert may_process(people.anna, "newsletter")
    with commit():
        request = services.do_open_request(
            "consent_withdrawal", channel="phone", actor=STAFF, person=people.anna
        )
        services.do_verify_identity(request, method="staff", actor=STAFF)
        do_fulfil(request, actor=STAFF)
    request.refresh_from_db()
    assert request.status == Status.FULFILLED
    assert not has_consent(people.anna, "newsletter")
    verdict = may_process(people.anna, "newsletter")
    assert not verdict and "rests on consent" in verdict.reason


def test_it_needs_consent_for_a_purpose_on_consent_alone(people) -> None:
    verdict = may_process(people.bob, "newsletter")
    assert not verdict and "has not given" in verdict.reason
