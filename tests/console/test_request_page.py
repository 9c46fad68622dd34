"""A request's page: its timeline, identity, the decisions as POST forms calling the rights services, and
what the services refuse shown on the page with the form as it was filled in."""

from __future__ import annotations

import pytest

from tests.console.conftest import Desk
from tests.personas import STAFF
from trustdesk.journal.models import JournalEntry
from trustdesk.rights import services
from trustdesk.rights.models import Download, Objection, Restriction, Status

pytestmark = pytest.mark.django_db


def _url(request, action: str = "") -> str:
    return f"/console/requests/{request.reference}/" + (f"{action}/" if action else "")


def test_it_shows_the_request_with_its_timeline_and_the_actions_of_the_role(desk: Desk) -> None:
    request = desk.open("access", details="Please send everything.")
    page = desk.client("pia").get(_url(request))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Please send everything." in html
    assert "opened" in html and "access (Art. 15)" in html
    offered = [a["name"] for a in page.context["actions"]]
    assert offered == ["ask-identity", "verify", "extend", "refuse", "withdraw"]
    support = [a["name"] for a in desk.client("sam").get(_url(request)).context["actions"]]
    assert support == ["ask-identity", "verify", "withdraw"]
    assert desk.client("abe").get(_url(request)).status_code == 403
    assert desk.client("pia").get("/console/requests/R-2026-AAAAAA/").status_code == 404


def test_it_verifies_identity_extends_and_fulfils_an_access_request(desk: Desk, commit) -> None:
    request = desk.open("access")
    sam, pia = desk.client("sam"), desk.client("pia")
    answer = sam.post(
        _url(request, "verify"), {"verify-method": "id_document", "verify-note": "passport photo matched"}
    )
    assert answer.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS and request.identity_method == "id_document"
    due = request.due_on
    answer = pia.post(_url(request, "extend"), {"extend-by": "P1M", "extend-reason": "Archived records."})
    assert answer.status_code == 302
    request.refresh_from_db()
    assert request.extended_by == "P1M" and request.due_on > due
    timeline = pia.get(_url(request)).content.decode()
    assert "The deadline is extended" in timeline
    assert "<small>pia@hoster.example</small>" in timeline and "<small>sam@hoster.example</small>" in timeline
    with commit():
        answer = pia.post(_url(request, "fulfil"), {})
    assert answer.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.FULFILLED
    page = pia.get(_url(request))
    files = page.context["downloads"]
    assert {line["download"].format for line in files} == {"report_html", "data_json"}
    report = Download.objects.get(request=request, format="report_html")
    got = pia.get(_url(request, f"files/{report.pk}"))
    assert got.status_code == 200 and got["Content-Disposition"].startswith("attachment")
    assert got["Cache-Control"] == "no-store"
    report.refresh_from_db()
    assert report.times_downloaded == 0  # the person's count; staff opening it is on the timeline
    assert request.events.filter(action="downloaded").count() == 1
    entry = JournalEntry.objects.filter(action="rights.request.downloaded").get()
    assert entry.actor == f"user:{desk.staff.pia.pk}"
    assert (entry.payload or {}).get("by") == "staff"
    # support sees the timeline but not the files
    assert desk.client("sam").get(_url(request, f"files/{report.pk}")).status_code == 403
    assert desk.client("sam").get(_url(request)).context["downloads"] == []


def test_it_shows_an_illegal_move_as_an_error_and_changes_nothing(desk: Desk) -> None:
    request = desk.open("access")
    answer = desk.client("pia").post(_url(request, "fulfil"), {})
    assert answer.status_code == 400
    assert "only a request in progress" in answer.content.decode()
    request.refresh_from_db()
    assert request.status == Status.RECEIVED
    assert list(request.events.values_list("action", flat=True)) == ["opened"]


def test_it_keeps_what_was_typed_when_a_service_refuses(desk: Desk) -> None:
    request = desk.open("access")
    pia = desk.client("pia")
    assert (
        pia.post(_url(request, "extend"), {"extend-by": "P1M", "extend-reason": "First."}).status_code == 302
    )
    answer = pia.post(_url(request, "extend"), {"extend-by": "P2M", "extend-reason": "Once more, please."})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "was extended already" in html
    assert "Once more, please." in html  # the form comes back as it was filled in
    missing = pia.post(_url(request, "refuse"), {"refuse-ground": "excessive", "refuse-reasons": ""})
    assert missing.status_code == 400 and "This field is required." in missing.content.decode()
    wrong = pia.post(_url(request, "refuse"), {"refuse-ground": "not_justified", "refuse-reasons": "No."})
    assert wrong.status_code == 400
    assert "ground for refusing an erasure only" in wrong.content.decode()
    card = pia.post(
        _url(request, "refuse"), {"refuse-ground": "excessive", "refuse-reasons": "card 4111 1111 1111 1111"}
    )
    assert card.status_code == 400
    assert "4111 1111 1111 1111" in card.content.decode()  # only in the form sent back, never stored
    request.refresh_from_db()
    assert request.status == Status.RECEIVED and request.answer == ""
    assert not JournalEntry.objects.filter(payload__icontains="4111").exists()


def test_it_refuses_with_a_ground_and_reasons(desk: Desk, commit) -> None:
    request = desk.open("erasure")
    with commit():
        answer = desk.client("ada").post(
            _url(request, "refuse"),
            {"refuse-ground": "not_justified", "refuse-reasons": "The invoices must be kept."},
        )
    assert answer.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.REFUSED and request.refusal_ground == "not_justified"
    assert "erasure not justified (Art. 17(3))" in desk.client("ada").get(_url(request)).content.decode()


def test_it_keeps_decisions_to_privacy_officers_and_administrators(desk: Desk) -> None:
    request = desk.open("access")
    services.do_verify_identity(request, method="staff", actor=STAFF)
    sam = desk.client("sam")
    for action in ("fulfil", "extend", "refuse", "confirm-erasure", "decide-objection", "lift"):
        assert sam.post(_url(request, action), {}).status_code == 403, action
    assert desk.client("abe").post(_url(request, "withdraw"), {}).status_code == 403
    assert desk.client("pia").post(_url(request, "astrology"), {}).status_code == 404
    assert desk.client("pia").get(_url(request, "fulfil")).status_code == 405
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS


def test_it_asks_for_identity_and_records_a_withdrawal(desk: Desk, commit) -> None:
    request = desk.open("portability")
    sam = desk.client("sam")
    with commit():
        assert sam.post(_url(request, "ask-identity"), {"ask-identity-note": ""}).status_code == 302
    request.refresh_from_db()
    assert request.status == Status.AWAITING_IDENTITY and request.pauses.count() == 1
    assert sam.post(_url(request, "withdraw"), {"withdraw-note": "Called to say so."}).status_code == 302
    request.refresh_from_db()
    assert request.status == Status.WITHDRAWN
    assert "Called to say so." in sam.get(_url(request)).content.decode()


def test_it_asks_to_confirm_an_erasure_that_ends_a_service_and_records_a_confirmation_given_otherwise(
    desk: Desk, commit
) -> None:
    request = desk.open("erasure", person=desk.people.anna)
    services.do_verify_identity(request, method="staff", actor=STAFF)
    pia = desk.client("pia")
    with commit():
        assert pia.post(_url(request, "fulfil"), {}).status_code == 302
    request.refresh_from_db()
    assert request.status == Status.AWAITING_CONFIRMATION
    page = pia.get(_url(request))
    assert next(a["name"] for a in page.context["actions"]) == "confirm-erasure"
    with commit():
        assert pia.post(_url(request, "confirm-erasure"), {}).status_code == 302
    request.refresh_from_db()
    assert request.status == Status.FULFILLED
    desk.people.anna.refresh_from_db()
    assert desk.people.anna.email != "anna@example.be"  # pseudonymised


def test_it_announces_and_lifts_a_restriction_in_that_order(desk: Desk, commit) -> None:
    request = desk.open("restriction")
    services.do_verify_identity(request, method="staff", actor=STAFF)
    pia = desk.client("pia")
    with commit():
        assert pia.post(_url(request, "fulfil"), {}).status_code == 302
    restriction = Restriction.objects.get(request=request)
    early = pia.post(_url(request, "lift"), {"lift-restriction": restriction.pk})
    assert early.status_code == 400 and "tell the person first" in early.content.decode()
    other = pia.post(
        _url(request, "announce-lift"), {"announce-lift-restriction": 999999, "announce-lift-reason": "x"}
    )
    assert other.status_code == 400 and "not one of this request" in other.content.decode()
    with commit():
        told = pia.post(
            _url(request, "announce-lift"),
            {"announce-lift-restriction": restriction.pk, "announce-lift-reason": "The dispute is settled."},
        )
    assert told.status_code == 302
    assert pia.post(_url(request, "lift"), {"lift-restriction": restriction.pk}).status_code == 302
    restriction.refresh_from_db()
    assert restriction.lifted_at is not None and restriction.lifted_by == f"user:{desk.staff.pia.pk}"


def test_it_decides_a_pending_objection_with_reasons(desk: Desk, publish, commit) -> None:
    from tests.personas import POLICY

    publish(
        POLICY.replace(
            "purposes:\n",
            """purposes:
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
    request = desk.open("objection", specifics={"purposes": ["fraud"]})
    services.do_verify_identity(request, method="staff", actor=STAFF)
    pia = desk.client("pia")
    with commit():
        assert pia.post(_url(request, "fulfil"), {}).status_code == 302
    objection = Objection.objects.get(request=request)
    assert objection.decision == Objection.Decision.PENDING
    page = pia.get(_url(request))
    assert page.context["objections"][0]["form"] is not None
    blank = pia.post(
        _url(request, "decide-objection"),
        {"decide-objection-objection": objection.pk, "decide-objection-decision": "upheld"},
    )
    assert blank.status_code == 400 and "This field is required." in blank.content.decode()
    with commit():
        decided = pia.post(
            _url(request, "decide-objection"),
            {
                "decide-objection-objection": objection.pk,
                "decide-objection-decision": "upheld",
                "decide-objection-reasons": "No fraud risk left.",
            },
        )
    assert decided.status_code == 302
    objection.refresh_from_db()
    request.refresh_from_db()
    assert objection.decision == Objection.Decision.UPHELD and request.status == Status.FULFILLED


def test_a_look_at_a_request_is_journaled_and_listed_for_the_privacy_officer_apart_from_the_journal(
    desk: Desk,
) -> None:
    from trustdesk.rights.fulfil.readable import _what_happened

    request = desk.open("access", person=desk.people.anna)
    assert desk.client("sam").get(_url(request)).status_code == 200
    [look] = JournalEntry.objects.filter(action="rights.request.viewed")
    assert look.object_type == "rights.request" and look.object_id == str(request.pk)
    assert look.actor == f"user:{desk.staff.sam.pk}" and look.payload == {"role": "support"}
    assert 'id="views"' not in desk.client("sam").get(_url(request)).content.decode()
    officer = desk.client("pia").get(_url(request)).content.decode()
    looked = officer.split('id="views"')[1].split("</section>")[0]
    assert "looked at this record 2 times" in looked and desk.staff.sam.email in looked
    # The person's page, whose journal holds their requests' entries, lists no look at the request.
    person = desk.client("pia").get(f"/console/people/{desk.people.anna.pk}/").content.decode()
    assert "rights.request.viewed" not in person.split('id="journal"')[1].split("</section>")[0]
    assert desk.client("abe").get(_url(request)).status_code == 403
    assert JournalEntry.objects.filter(action="rights.request.viewed").count() == 2  # the refusal left none
    assert (
        _what_happened("rights.request.viewed", "rights.request", "en") == "Our staff looked at your request."
    )
