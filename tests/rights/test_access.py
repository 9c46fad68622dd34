"""Access (Art. 15) and portability (Art. 20): reports, downloads that expire, every download journaled."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.personas import STAFF, fetch_download, invoice_0042, october_traffic
from trustdesk.journal.models import JournalEntry
from trustdesk.registry.services import do_update
from trustdesk.rights import services
from trustdesk.rights.fulfil import do_fulfil, do_purge_downloads
from trustdesk.rights.models import Download, Status

pytestmark = pytest.mark.django_db


def _fulfilled(kind: str, person, commit, **extra):
    with commit():
        request = services.do_open_request(
            kind, channel="email", actor=STAFF, person=person, language="en", **extra
        )
        services.do_verify_identity(request, method="staff", actor=STAFF)
        do_fulfil(request, actor=STAFF)
    request.refresh_from_db()
    return request


def _links(text: str) -> list[str]:
    return re.findall(r"https://privacy\.hostwerk\.example(/privacy/download/\S+)", text)


def test_it_gives_everything_about_the_person_with_the_information_of_article_15(
    people, smtp, commit
) -> None:
    do_update(people.anna, {"phone": "+32 470 99 99 99"}, actor=STAFF)  # the old number stays in history
    request = _fulfilled("access", people.anna, commit)
    assert request.status == Status.FULFILLED
    report_path, json_path = _links(smtp.text(smtp.to("anna@example.be")[-1]))
    client = Client()
    report = fetch_download(client, report_path)
    assert report.status_code == 200
    assert report["Content-Disposition"].startswith("attachment;")
    html = report.getvalue().decode()
    for expected in ("Anna", "Peeters", "+32 470 12 34 56", "+32 470 99 99 99", "anna-blog", "Kerkstraat 1"):
        assert expected in html
    # Art. 15(1): purposes, bases, recipients, retention, rights and the authority, from the policy.
    for expected in ("Invoicing", "Newsletter", "seven years", "supervisory authority"):
        assert expected in html
    # Each record is captioned by what it is where its kind has a title, by its kind otherwise; a journal
    # entry by its number in the journal. No record by its number in our database.
    captions = re.findall(r"<caption>([^<]*)", html)
    assert any(c.startswith("Service: web hosting") for c in captions), captions
    assert "Person" in captions and any(c.startswith("Entry ") for c in captions), captions
    assert not any(c.startswith("Record ") for c in captions), captions
    data = json.loads(fetch_download(client, json_path).getvalue())
    assert data["person"] == people.anna.pk
    assert "registry.historicalperson" in data["records"]
    assert "journal.journalentry" in data["records"]
    assert {p["key"] for p in data["information"]["purposes"]} == {"invoicing", "newsletter"}
    assert data["information"]["supervisory_authority"]["name"]
    downloads = JournalEntry.objects.filter(action="rights.request.downloaded")
    assert downloads.count() == 2


def test_it_answers_an_address_nobody_has_without_saying_more(people, smtp, commit) -> None:
    with commit():
        request = services.do_open_request(
            "access", channel="email", actor=STAFF, email="stranger@example.org", language="en"
        )
        services.do_verify_identity(request, method="email_link", actor=STAFF)
        do_fulfil(request, actor=STAFF)
    text = smtp.text(smtp.to("stranger@example.org")[-1])
    assert "We hold no personal data about you" in text


def test_it_expires_downloads_and_deletes_their_files(travel, people, smtp, commit, data_dir: Path) -> None:
    _fulfilled("access", people.anna, commit)
    report_path = _links(smtp.text(smtp.to("anna@example.be")[-1]))[0]
    files = [data_dir / d.path for d in Download.objects.all()]
    assert all(f.exists() for f in files)
    travel.move_to(dt.datetime(2026, 1, 12, 9, 1, tzinfo=dt.UTC))  # the policy's default: seven days
    assert Client().get(report_path).status_code == 410
    report = Download.objects.get(format="report_html")
    assert report.deleted_at is not None and not (data_dir / report.path).exists()  # gone for good
    assert do_purge_downloads(actor=STAFF) == 1  # the JSON; the report went when its link was used
    assert not any(f.exists() for f in files)
    assert Download.objects.filter(deleted_at__isnull=True).count() == 0
    assert JournalEntry.objects.filter(action="rights.downloads.purged").exists()


def test_it_refuses_an_unknown_download_link(people) -> None:
    assert Client().get("/privacy/download/not-a-token").status_code == 410


def test_it_exports_the_data_provided_as_json_and_csv(people, smtp, commit) -> None:
    request = _fulfilled("portability", people.anna, commit)
    json_path, csv_path = _links(smtp.text(smtp.to("anna@example.be")[-1]))
    client = Client()
    data = json.loads(fetch_download(client, json_path).getvalue())["data"]
    # Under the test policy only the e-mail address is processed on consent or contract (the
    # newsletter); names and addresses serve invoicing, a legal obligation: not portable.
    person = data["registry.person"][0]
    assert person == {"id": people.anna.pk, "email": "anna@example.be"}
    assert "registry.historicalperson" not in data and "journal.journalentry" not in data
    archive = zipfile.ZipFile(io.BytesIO(fetch_download(client, csv_path).getvalue()))
    assert "registry-person.csv" in archive.namelist()
    assert "anna@example.be" in archive.read("registry-person.csv").decode()
    assert request.status == Status.FULFILLED


def test_the_report_gives_the_account_and_its_log_ins_in_words_and_never_a_secret(
    people, smtp, commit
) -> None:
    """A customer's account is in the report and its file: the account, its sessions and failed log-ins, and
    the journal's log-ins with where they came from, in words; a password hash, a TOTP key or a session
    key are said to be held, never given (the files travel by e-mail and a link)."""
    from tests.accounts.personas import PASSWORD, give_totp, log_in
    from trustdesk.accounts import lockout
    from trustdesk.accounts.services import do_create_account
    from trustdesk.lib.datamap import WITHHELD

    user = do_create_account(
        "anna@example.be", role="customer", person=people.anna, password=PASSWORD, verified=True, actor="test"
    )
    firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
    browser = Client(HTTP_USER_AGENT=firefox, REMOTE_ADDR="192.0.2.10")
    assert log_in(browser, "anna@example.be").status_code == 302
    totp = give_totp(user)
    lockout.record_failure("anna@example.be", actor="test")
    user.refresh_from_db()
    secrets = [user.password, totp, browser.session.session_key]

    _fulfilled("access", people.anna, commit)
    report_path, json_path = _links(smtp.text(smtp.to("anna@example.be")[-1]))
    client = Client()
    html = fetch_download(client, report_path).getvalue().decode()
    raw = fetch_download(client, json_path).getvalue().decode()
    assert all(secret and secret not in html and secret not in raw for secret in secrets)
    records = json.loads(raw)["records"]
    assert records["auth.user"][0]["fields"]["password"] == WITHHELD
    assert records["mfa.authenticator"][0]["fields"]["data"] == WITHHELD
    assert records["usersessions.usersession"][0]["fields"]["ip"] == "192.0.2.10"
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    for said in (
        "Your account",
        "Open sessions",
        "Failed log-ins",
        "Log-in credentials and permissions (when logging in last failed)",
        "held, not shown: it lets one log in to your account",
        "Logged in",
        "IP address: 192.0.2.10; Browser: Firefox 128 on Windows 10/11",
        "Failed log-in",
        "Reason: wrong password; Failed attempts in a row: 1",
        # Where an account's values came from, though it has no source field of its own.
        "Where it came from from you: User name, E-mail address, Password; recorded while you used our services:",
    ):
        assert said in text, said
    sessions = text[text.index("Open sessions") :]
    assert "Where it came from recorded while you used our services Recorded on" in sessions  # one source
    assert "accounts." not in text  # no journal action as stored


def test_the_report_tells_of_two_factor_removed_by_staff_with_their_reason(people, smtp, commit) -> None:
    from tests.accounts.personas import PASSWORD, give_totp
    from trustdesk.accounts.services import do_create_account, do_remove_two_factor

    user = do_create_account(
        "anna@example.be", role="customer", person=people.anna, password=PASSWORD, verified=True, actor="test"
    )
    give_totp(user)
    with commit():
        do_remove_two_factor(user, actor="user:1", reason="She called from her known number")
    # Anna's language on record is Dutch: the notice is in Dutch (the report is in the request's language).
    assert smtp.to("anna@example.be")[-1]["Subject"] == "Tweestapsverificatie is van uw account verwijderd"
    _fulfilled("access", people.anna, commit)
    report_path, _json_path = _links(smtp.text(smtp.to("anna@example.be")[-1]))
    html = fetch_download(Client(), report_path).getvalue().decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Two-factor authentication removed by our staff" in text
    assert "Reason: She called from her known number; Authenticators removed: 1" in text


def test_it_sends_the_data_to_another_party_on_instruction(people, smtp, commit) -> None:
    _fulfilled("portability", people.anna, commit, specifics={"send_to": "import@newhost.example"})
    message = smtp.to("import@newhost.example")[-1]
    names = [part.get_filename() for part in message.iter_attachments()]
    assert names == ["data.json", "data-csv.zip"]
    assert Download.objects.count() == 0


def test_it_includes_consents_and_earlier_requests_in_the_access_report(people, smtp, commit) -> None:
    from trustdesk.consent.services import do_give_consent

    do_give_consent(
        people.anna,
        "newsletter",
        actor=STAFF,
        channel="website",
        method="form",
        text="Send me the newsletter.",
    )
    _fulfilled("access", people.anna, commit)
    request = _fulfilled("access", people.anna, commit)
    json_path = _links(smtp.text(smtp.to("anna@example.be")[-1]))[1]
    records = json.loads(fetch_download(Client(), json_path).getvalue())["records"]
    assert records["consent.consentevent"][0]["fields"]["purpose"] == "newsletter"
    assert len(records["rights.request"]) == 2 and request.pk in {r["pk"] for r in records["rights.request"]}


def test_opening_a_download_link_sends_nothing_and_journals_nothing(people, smtp, commit) -> None:
    """A mail scanner or a link preview opens the link: it gets the page with the button, not the file."""
    _fulfilled("access", people.anna, commit)
    report_path = _links(smtp.text(smtp.to("anna@example.be")[-1]))[0]
    for method in ("get", "head"):
        offer = getattr(Client(), method)(report_path)
        assert offer.status_code == 200 and offer.get("Content-Disposition") is None
        assert offer["Cache-Control"].startswith("max-age=0") or "no-cache" in offer["Cache-Control"]
    page = Client().get(report_path).content.decode()
    assert "Readable report (HTML)" in page and "Anna" not in page and "Peeters" not in page
    assert not JournalEntry.objects.filter(action="rights.request.downloaded").exists()
    assert Download.objects.get(format="report_html").times_downloaded == 0
    assert Client().post(report_path)["Content-Disposition"].startswith("attachment;")
    assert JournalEntry.objects.filter(action="rights.request.downloaded").count() == 1


def test_an_unknown_or_expired_download_link_answers_410_to_get_and_post(
    travel, people, smtp, commit
) -> None:
    _fulfilled("access", people.anna, commit)
    report_path = _links(smtp.text(smtp.to("anna@example.be")[-1]))[0]
    assert Client().post("/privacy/download/not-a-token").status_code == 410
    travel.move_to(dt.datetime(2026, 1, 12, 9, 1, tzinfo=dt.UTC))
    assert Client().post(report_path).status_code == 410
    assert Client().get(report_path).status_code == 410


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            (
                "Changed by",
                "you",
                "another customer's account",
                "our staff",
                "our billing system",
                "Why",
                "rectified: request R-1",
            ),
        ),
        (
            "nl",
            (
                "Gewijzigd door",
                "u",
                "het account van een andere klant",
                "onze medewerkers",
                "ons facturatiesysteem",
                "Waarom",
                "gecorrigeerd: verzoek R-1",
            ),
        ),
    ],
)
def test_the_report_says_who_changed_a_record_and_why_in_the_person_s_words(
    people, lang: str, words: tuple[str, ...]
) -> None:
    from django.contrib.auth import get_user_model

    from trustdesk.accounts.models import Profile
    from trustdesk.policy.queries import version_in_effect
    from trustdesk.registry import datamap_ops
    from trustdesk.registry.services import Actor
    from trustdesk.rights.fulfil.readable import readable_records

    label_by, you, customer, staff, billing, label_why, rectified = words
    anna = people.anna
    own = get_user_model().objects.create_user("anna@example.be", "anna@example.be", "x")
    Profile.objects.create(user=own, person=anna, role=Profile.Role.CUSTOMER)
    staff_user = get_user_model().objects.create_user("pia@hoster.example", "pia@hoster.example", "x")
    Profile.objects.create(user=staff_user, role=Profile.Role.SUPPORT)
    bob = get_user_model().objects.create_user("bob@jansen.example", "bob@jansen.example", "x")
    Profile.objects.create(user=bob, person=people.bob, role=Profile.Role.CUSTOMER)
    do_update(anna, {"city": "Gent"}, actor=Actor(ref=f"user:{own.pk}", user=own))
    # No page lets one customer change another's record; were one ever to, he is not "our staff".
    do_update(anna, {"city": "Aalst"}, actor=Actor(ref=f"user:{bob.pk}", user=bob))
    do_update(anna, {"city": "Brugge"}, actor=Actor(ref=f"user:{staff_user.pk}", user=staff_user))
    do_update(anna, {"city": "Leuven"}, actor=Actor(ref="api-token:7"), reason="updated through the API")
    do_update(anna, {"city": "Mechelen"}, actor=STAFF, reason="rectified: request R-1")
    version = version_in_effect()
    assert version is not None
    sections = readable_records(datamap_ops.collect(anna), version.loaded.policy, lang)
    (copies,) = [s for s in sections if s["label"] == "registry.historicalperson"]
    said = {
        record_field["value"]: {f["label"]: f["value"] for f in record["fields"]}
        for record in copies["records"]
        for record_field in record["fields"]
        if record_field["value"] in ("Gent", "Aalst", "Brugge", "Leuven", "Mechelen")
    }
    assert said["Gent"][label_by] == you and label_why not in said["Gent"]  # 'updated' says nothing more
    assert said["Aalst"][label_by] == customer
    assert said["Brugge"][label_by] == staff
    assert said["Leuven"][label_by] == billing
    assert said["Mechelen"][label_by] == staff and said["Mechelen"][label_why] == rectified
    values = {f["value"] for record in copies["records"] for f in record["fields"]}
    # No actor's reference stands in the report: not a user's number, not an API token's.
    assert not any(v.startswith(("user:", "api-token:", "operator:")) for v in values)


def _report_sections(person, lang: str) -> dict[str, list[dict[str, Any]]]:
    """The person's access report as the policy in effect words it: its records by section."""
    from trustdesk.policy.queries import version_in_effect
    from trustdesk.registry import datamap_ops
    from trustdesk.rights.fulfil.readable import readable_records

    version = version_in_effect()
    assert version is not None
    return {
        s["label"]: s["records"]
        for s in readable_records(datamap_ops.collect(person), version.loaded.policy, lang)
    }


def _lines(records: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{f["label"]: f["value"] for f in record["fields"]} for record in records]


@pytest.mark.parametrize(
    ("lang", "changed", "phone", "received"),
    [
        (
            "en",
            "Person: changed",
            "Telephone number (phone): +32 470 99 99 99 (was: +32 470 12 34 56)",
            "We received your request.",
        ),
        (
            "nl",
            "Persoon: gewijzigd",
            "Telefoonnummer (telefoon): +32 470 99 99 99 (eerder: +32 470 12 34 56)",
            "We ontvingen uw verzoek.",
        ),
    ],
)
def test_the_report_tells_the_journal_and_the_request_s_steps_in_words(
    people, lang: str, changed: str, phone: str, received: str
) -> None:

    do_update(people.anna, {"phone": "+32 470 99 99 99"}, actor=STAFF)
    services.do_open_request("access", channel="email", actor=STAFF, person=people.anna, language=lang)
    sections = _report_sections(people.anna, lang)
    lines = _lines(sections["journal.journalentry"])
    what = "What happened" if lang == "en" else "Wat er gebeurde"
    details = "Details" if lang == "en" else "Gegevens"
    (update,) = [line for line in lines if line[what] == changed]
    assert update[details] == phone  # one line, the data category's name: no JSON, no field name, said once
    assert all(not line[what].startswith(("registry.", "rights.")) for line in lines)
    assert not any("{" in value for line in lines for value in line.values())
    assert [step[what] for step in _lines(sections["rights.event"])] == [received]


@pytest.mark.parametrize(
    ("lang", "viewed", "listed"),
    [
        (
            "en",
            "Person: looked at by our staff, for handling abuse reports",
            "Person: seen by our staff in a list, for customer support",
        ),
        (
            "nl",
            "Persoon: bekeken door onze medewerkers, voor de afhandeling van misbruikmeldingen",
            "Persoon: gezien door onze medewerkers in een lijst, voor klantenservice",
        ),
    ],
)
def test_the_report_tells_when_and_why_staff_looked_but_not_who(
    people, lang: str, viewed: str, listed: str
) -> None:
    """Art. 15(1)(a) as the CJEU reads it (C-579/21): the person may know the dates and purposes of the
    consultations of their data, not the staff who made them."""
    from trustdesk.registry.services import Actor, do_note_listing, do_note_view

    abuse, support = Actor(ref="user:901"), Actor(ref="user:902")
    do_note_view(people.anna, actor=abuse, role="abuse_desk")
    do_note_listing([people.anna], actor=support, role="support")
    sections = _report_sections(people.anna, lang)
    lines = _lines(sections["journal.journalentry"])
    what = "What happened" if lang == "en" else "Wat er gebeurde"
    looks = [line for line in lines if line[what] in (viewed, listed)]
    assert sorted(line[what] for line in looks) == sorted([viewed, listed])
    assert all(set(line) == {what, "When" if lang == "en" else "Wanneer"} for line in looks), looks
    assert not any("901" in value or "902" in value for line in lines for value in line.values())


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_report_names_a_recipient_as_the_policy_does(lang: str) -> None:
    from trustdesk.policy.loader import load_file
    from trustdesk.rights.fulfil.readable import _context_value

    policy = load_file("examples/policies/dutch-hosting-nl.yaml").policy
    named = _context_value("registry.disclosure", "recipient", "domain_suppliers", policy, lang)
    assert named == policy.recipients["domain_suppliers"].display_name(lang)
    assert named.startswith("Domain name suppliers" if lang == "en" else "Domeinnaamleveranciers")
    # A key the policy no longer names stays as it is rather than vanish.
    assert (
        _context_value("registry.disclosure", "recipient", "gone_supplier", policy, lang) == "gone_supplier"
    )


@pytest.mark.parametrize(
    ("lang", "vat", "number"),
    [
        ("en", "Unique identifier (VAT number)", "Unique identifier (company number)"),
        ("nl", "Unieke identificatiecode (btw-nummer)", "Unieke identificatiecode (ondernemingsnummer)"),
    ],
)
def test_the_report_tells_apart_two_fields_of_one_category(people, lang: str, vat: str, number: str) -> None:
    from trustdesk.policy.queries import version_in_effect
    from trustdesk.registry import datamap_ops
    from trustdesk.rights.fulfil.readable import readable_records

    do_update(people.private, {"vat_number": "BE0123456789", "company_number": "0123.456.789"}, actor=STAFF)
    version = version_in_effect()
    assert version is not None
    sections = {
        s["label"]: s["records"]
        for s in readable_records(datamap_ops.collect(people.anna), version.loaded.policy, lang)
    }
    (organisation,) = sections["registry.organisation"]
    said = {f["label"]: f["value"] for f in organisation["fields"]}
    assert said[vat] == "BE0123456789" and said[number] == "0123.456.789"
    email = "E-mail address" if lang == "en" else "E-mailadres"
    assert said[email] == "anna@example.be"  # a category of one field keeps its plain name
    updated = [
        {f["label"]: f["value"] for f in record["fields"]}
        for record in sections["journal.journalentry"]
        if "BE0123456789" in str(record["fields"])
    ]
    assert (
        len(updated) == 1 and f"{vat}: BE0123456789" in updated[0]["Details" if lang == "en" else "Gegevens"]
    )


@pytest.mark.parametrize(
    ("lang", "usage", "quantity", "invoice", "changed"),
    [
        (
            "en",
            "Usage of traffic (GB), 1 October 2026 to 31 October 2026",
            "17.5",
            "Invoice 2026-0042 of 1 February 2026",
            "1 February 2026, 00:30",
        ),
        (
            "nl",
            "Verbruik van dataverkeer (GB), 1 oktober 2026 tot en met 31 oktober 2026",
            "17,5",
            "Factuur 2026-0042 van 1 februari 2026",
            "1 februari 2026, 00:30",
        ),
    ],
)
def test_the_report_names_each_record_and_writes_numbers_and_times_as_the_reader_does(
    travel, people, lang: str, usage: str, quantity: str, invoice: str, changed: str
) -> None:
    """A record's caption says which it is, not its number in our database; a decimal is a number of the
    reader's language; a moment is in the site's time zone (Europe/Brussels), as the pages show it."""
    from trustdesk.policy.queries import version_in_effect
    from trustdesk.registry import datamap_ops
    from trustdesk.rights.fulfil.readable import readable_records

    travel.move_to(dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC))  # 00:30 on 1 February in Brussels
    october_traffic(people.hosting, "17.500")
    invoice_0042(people.private, "Anna Peeters")
    version = version_in_effect()
    assert version is not None
    sections = readable_records(datamap_ops.collect(people.anna), version.loaded.policy, lang)
    by_label = {section["label"]: section["records"] for section in sections}
    (usage_record,) = by_label["registry.usagerecord"]
    assert usage_record["title"] == usage
    assert quantity in [item["value"] for item in usage_record["fields"]]
    assert changed in [item["value"] for item in usage_record["fields"]]  # recorded on
    assert invoice in {record["title"] for record in by_label["registry.invoice"]}
    # A history copy is titled as its record; a kind with no title of its own is named by its kind.
    assert invoice in {record["title"] for record in by_label["registry.historicalinvoice"]}
    person = "Person" if lang == "en" else "Persoon"
    assert {record["title"] for record in by_label["registry.person"]} == {person}
    assert {record["title"] for record in by_label["registry.historicalperson"]} == {person}
