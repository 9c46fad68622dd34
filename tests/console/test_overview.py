"""The dashboard's figures and charts, and the policy page with its check and the data map."""

from __future__ import annotations

import pytest

from tests.console.conftest import Desk
from tests.personas import STAFF
from trustdesk.rights import services

pytestmark = pytest.mark.django_db


def test_it_counts_requests_per_week_the_median_days_to_answer_and_the_overdue(desk: Desk) -> None:
    desk.open("access", days_ago=45)  # overdue
    desk.open("erasure", days_ago=2)
    answered = desk.open("access", days_ago=10)
    old = desk.open("portability", days_ago=120)  # before the twelve weeks shown
    services.do_withdraw_request(old, actor=STAFF)
    services.do_refuse(answered, ground="excessive", reasons="The fourth this month.", actor=STAFF)
    page = desk.client("pia").get("/console/")
    assert page.status_code == 200
    assert page.context["overdue"] == 1 and page.context["open_count"] == 2
    assert page.context["median"] == 10
    assert page.context["received"] == 3
    bars = page.context["weekly"].bars
    assert sorted(bar.css for bar in bars) == ["kind-access", "kind-access", "kind-erasure"]
    assert all(bar.height > 0 and bar.y + bar.height <= page.context["weekly"].base + 0.01 for bar in bars)
    html = page.content.decode()
    assert '<svg class="chart"' in html and 'class="kind-access"' in html and 'class="kind-erasure"' in html
    assert "style=" not in html and "<script" not in html


def test_it_gives_each_charts_figures_as_a_table(desk: Desk) -> None:
    from trustdesk.console.charts import week_start
    from trustdesk.rights.models import Request

    desk.open("access", days_ago=45)  # overdue
    desk.open("erasure", days_ago=2)
    answered = desk.open("access", days_ago=10)
    services.do_refuse(answered, ground="excessive", reasons="The fourth this month.", actor=STAFF)
    page = desk.client("pia").get("/console/")
    html = page.content.decode()
    assert html.count('<details class="chart-table">') == 3
    for chart_id in ("chart-weekly", "chart-median", "chart-urgency"):
        assert f'<caption id="{chart_id}-caption">' in html

    weekly = page.context["weekly"]
    assert len(weekly.rows) == 12 and len(weekly.headers) == 1 + 7 + 1  # the week, each kind, all kinds
    by_week = {week: cells for week, cells in weekly.rows}
    received = set(Request.objects.values_list("received_on", flat=True))
    for day in received:
        cells = by_week[week_start(day).isoformat()]
        assert int(cells[-1]) == sum(int(c) for c in cells[:-1]) >= 1
    assert sum(int(cells[-1]) for cells in by_week.values()) == page.context["received"] == 3

    median = page.context["median_chart"]
    assert [cells for _, cells in median.rows if cells[0] != "0"] == [["1", "10"]]
    assert all(cells == ["0", "—"] for _, cells in median.rows if cells[0] == "0")
    assert "1 request answered in these weeks." in html

    urgency = dict(page.context["urgency_chart"].rows)
    assert urgency["overdue"] == ["1"] and urgency["on time"] == ["1"]


def test_it_writes_a_median_with_the_languages_decimal_sign(desk: Desk) -> None:
    for days_ago in (10, 11):
        answered = desk.open("access", days_ago=days_ago)
        services.do_refuse(answered, ground="excessive", reasons="The fourth this month.", actor=STAFF)
    for language, median in (("en", "10.5"), ("nl", "10,5")):
        page = desk.client("pia").get("/console/", HTTP_ACCEPT_LANGUAGE=language)
        assert [cells for _, cells in page.context["median_chart"].rows if cells[0] != "0"] == [["2", median]]


def test_it_says_when_no_request_was_answered(desk: Desk) -> None:
    desk.open("access", days_ago=3)
    page = desk.client("pia").get("/console/", HTTP_ACCEPT_LANGUAGE="nl")
    html = page.content.decode()
    assert "Geen enkel verzoek beantwoord in deze weken." in html
    assert "De cijfers als tabel" in html


def test_it_shows_the_policy_in_effect_its_check_and_the_data_map(desk: Desk) -> None:
    page = desk.client("abe").get("/console/policy/")
    assert page.status_code == 200
    version = page.context["version"]
    html = page.content.decode()
    assert f'href="/privacy/versions/{version.number}"' in html
    entries = {(e.model, e.field) for e in page.context["entries"]}
    assert ("registry.person", "email") in entries and ("rights.request", "details") in entries
    assert "pseudonymise" in html
    assert all(line["tone"].startswith("tone tone-") for line in page.context["findings"])


def test_it_keeps_the_dashboard_from_the_abuse_desk(desk: Desk) -> None:
    assert desk.client("abe").get("/console/").status_code == 403
    assert desk.client(None).get("/console/policy/").status_code == 302


def test_it_finds_no_error_in_the_demo_policy_against_the_data_map(desk: Desk, publish) -> None:
    from tests.conftest import EXAMPLES

    # `trustdesk demo` publishes this file: a new provider's first look at the page shows no error.
    published = publish((EXAMPLES / "dutch-hosting-nl.yaml").read_text(encoding="utf-8"))
    page = desk.client("abe").get("/console/policy/")
    assert page.context["version"] == published
    assert [
        line["finding"].code for line in page.context["findings"] if line["finding"].code == "TD190"
    ] == []
    assert page.context["errors"] == 0


def test_it_shows_those_who_oversee_the_staff_each_members_looks_at_records(desk: Desk) -> None:
    """Accountability at a glance: per member of staff, the records looked at in the last 30 days, by page
    or in a search's results, most records first. Support does not see it."""
    import datetime as dt

    from django.utils import timezone

    from trustdesk.console.views.looks import LOOKS_WINDOW, looks_by_staff

    anna, company = desk.people.anna, desk.people.company
    support = desk.client("sam")
    support.get(f"/console/people/{anna.pk}/")
    support.get(f"/console/people/{anna.pk}/")  # the same look within a quarter of an hour
    found = support.post("/console/search/", {"q": company.name}).context
    shown = len(found["people"]) + len(found["organisations"])
    assert shown >= 1 and anna not in found["people"]
    desk.client("ada").get(f"/console/organisations/{company.pk}/")

    page = desk.client("pia").get("/console/")
    rows = [(row["who"], row["records"], row["opened"], row["listed"]) for row in page.context["looks"]]
    # Support: Anna's page once, the records of a search's results; the administrator: the company's page.
    assert rows == [(desk.staff.sam.email, 1 + shown, 1, shown), (desk.staff.ada.email, 1, 1, 0)]
    html = page.content.decode()
    assert "Looks at records by staff, last 30 days" in html
    assert 'id="looks"' in html and desk.staff.sam.email in html.split('id="looks"')[1].split("</section>")[0]

    assert desk.client("sam").get("/console/").context["looks"] is None
    assert 'id="looks"' not in desk.client("sam").get("/console/").content.decode()
    later = timezone.now() + LOOKS_WINDOW + dt.timedelta(minutes=1)
    assert looks_by_staff(later) == []  # looks older than the window are not counted


def test_it_says_when_no_member_of_staff_looked_at_a_record(desk: Desk) -> None:
    page = desk.client("pia").get("/console/")
    assert page.context["looks"] == []
    assert "No member of staff looked at a record in these days." in page.content.decode()


def test_a_members_name_leads_to_the_records_they_looked_at_named_by_kind_and_number(desk: Desk) -> None:
    """The privacy officer follows a member who stands out to their looks: newest first, each record by
    kind and number with a link to its page (not by whose it is, so the list itself is no look), and how."""
    from django.contrib.auth import get_user_model

    from trustdesk.journal.models import JournalEntry
    from trustdesk.registry.models import Person
    from trustdesk.registry.services import do_create

    anna, company = desk.people.anna, desk.people.company
    gone = do_create(Person, {"first_name": "Gerrit", "last_name": "Gone"}, actor=STAFF)
    request = desk.open(person=anna)
    support = desk.client("sam")
    support.get(f"/console/people/{gone.pk}/")
    support.get(f"/console/people/{anna.pk}/")
    support.get(f"/console/requests/{request.reference}/")
    support.post("/console/search/", {"q": company.name})
    Person.objects.filter(pk=gone.pk).delete()

    officer = desk.client("pia")
    url = f"/console/staff/{desk.staff.sam.pk}/looks/"
    assert f'<a href="{url}">{desk.staff.sam.email}</a>' in officer.get("/console/").content.decode()
    before = JournalEntry.objects.count()
    page = officer.get(url)
    assert page.status_code == 200
    assert JournalEntry.objects.count() == before, "the list of looks is no look at the records"
    rows = [(str(row["kind"]), row["number"], row["url"], row["listed"]) for row in page.context["rows"]]
    assert rows[-3:] == [  # newest first: the search's results, the request, Anna, the person since deleted
        ("request", request.reference, f"/console/requests/{request.reference}/", False),
        ("person", str(anna.pk), f"/console/people/{anna.pk}/", False),
        ("person", str(gone.pk), "", False),
    ]
    assert ("organisation", str(company.pk), f"/console/organisations/{company.pk}/", True) in rows
    html = page.content.decode()
    assert "Role: support." in html and "no longer stored" in html
    assert anna.last_name not in html and company.name not in html and "Gone" not in html

    someone = get_user_model().objects.create_user("someone", "someone@example.com", "a long password 123")
    assert officer.get(f"/console/staff/{someone.pk}/looks/").status_code == 404  # no member of staff
    assert officer.get("/console/staff/999999/looks/").status_code == 404
    assert desk.client("sam").get(url).status_code == 403
    assert desk.client("ada").get(url).status_code == 200


def test_an_administrators_looks_in_the_admin_at_any_record_about_someone_count_like_the_consoles(
    desk: Desk,
) -> None:
    """The admin's page of an interaction, an invoice or an account's sessions shows someone's data as a
    person's page does: each is a look, journaled with its role, counted on the dashboard, listed on the
    member's page by kind and number (no link: the console has no page for it, yet it is still stored), and
    told in the person's access report with its purpose, never who."""
    import datetime as dt

    from django.utils import timezone

    from tests.rights.test_access import _lines, _report_sections
    from trustdesk.console.views.looks import looks_by_staff
    from trustdesk.journal.models import JournalEntry
    from trustdesk.registry.models import Interaction
    from trustdesk.registry.services import do_create

    anna = desk.people.anna
    call = do_create(
        Interaction,
        {"person": anna, "direction": "in", "occurred_at": timezone.now(), "subject": "Lost her password"},
        actor=STAFF,
    )
    admin = desk.client("ada")
    assert admin.get(f"/admin/registry/interaction/{call.pk}/change/").status_code == 200
    assert admin.get("/admin/registry/interaction/").status_code == 200
    actor = f"user:{desk.staff.ada.pk}"
    journaled = JournalEntry.objects.filter(actor=actor, object_type="registry.interaction")
    assert sorted(journaled.values_list("action", "object_id", "payload")) == [
        ("registry.interaction.viewed", str(call.pk), {"role": "administrator"})
    ], "seen in the list after its page: within the quarter of an hour, not journaled again"

    (mine,) = [row for row in looks_by_staff(timezone.now()) if row["actor"] == actor]
    assert (mine["records"], mine["opened"]) == (1, 1)
    page = desk.client("pia").get(f"/console/staff/{desk.staff.ada.pk}/looks/")
    rows = [(str(row["kind"]), row["number"], row["url"], row["stored"]) for row in page.context["rows"]]
    assert rows == [("interaction", str(call.pk), "", True)]
    html = page.content.decode()
    assert f"Interaction {call.pk}" in html and "no longer stored" not in html and "Lost her" not in html

    lines = _lines(_report_sections(anna, "en")["journal.journalentry"])
    told = [line["What happened"] for line in lines]
    assert "Interaction: looked at by our staff, for the administration of our systems" in told
    assert not any(desk.staff.ada.email in value for line in lines for value in line.values())
    assert looks_by_staff(timezone.now() + dt.timedelta(days=31)) == []


def test_a_persons_page_says_who_looked_at_their_requests_and_account_too(desk: Desk) -> None:
    """The privacy officer reading "Looked at by staff" on Olga's page sees the looks at her record and at
    her requests and account, wherever they were made (the console, the admin), each said by kind and
    number, linked where the console shows it."""
    from trustdesk.accounts.models import Profile
    from trustdesk.journal.models import JournalEntry

    olga = Profile.objects.get(user=desk.staff.olga).person
    assert olga is not None
    gone = desk.open(person=olga)
    desk.client("sam").get(f"/console/requests/{gone.reference}/")
    gone_pk = gone.pk
    gone.delete()  # a request since erased: its looks stay in the journal
    request = desk.open(person=olga)
    desk.client("sam").get(f"/console/requests/{request.reference}/")
    desk.client("ada").get(f"/admin/auth/user/{desk.staff.olga.pk}/change/")

    page = desk.client("pia").get(f"/console/people/{olga.pk}/")
    rows = [(row["who"], row["what"], row["what_url"]) for row in page.context["views"]["latest"]]
    assert rows == [
        (desk.staff.pia.email, "", ""),  # this page, just now
        (desk.staff.ada.email, f"User {desk.staff.olga.pk}", ""),
        (desk.staff.sam.email, f"Request {request.reference}", f"/console/requests/{request.reference}/"),
    ], "the erased request is no longer one of hers the page names: its look is in Sam's list, not here"
    assert JournalEntry.objects.filter(action="rights.request.viewed", object_id=str(gone_pk)).exists()
    looked = page.content.decode().split('id="views"')[1].split("</section>")[0]
    assert "looked at this record, its requests or its account 3 times" in looked
    assert f'<a href="/console/requests/{request.reference}/">Request {request.reference}</a>' in looked
    assert "this record" in looked and desk.staff.olga.email not in looked
