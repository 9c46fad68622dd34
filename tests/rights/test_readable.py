"""The access report's and the portal's ways of writing stored values for a reader (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.utils import formats, translation

from trustdesk.rights.fulfil.readable import TITLES, _date, number, record_title


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_a_date_is_written_as_django_writes_it_in_the_language(lang: str) -> None:
    for month in range(1, 13):
        day = dt.date(2026, month, 9 + month)
        with translation.override(lang):
            assert _date(day, lang) == formats.date_format(day, "j F Y")
    with translation.override("en"):  # the page's language need not be the reader's
        assert _date(dt.date(2026, 10, 1), "nl") == "1 oktober 2026"


@pytest.mark.parametrize(
    ("stored", "english", "dutch"),
    [
        ("17.000", "17", "17"),
        ("17.500", "17.5", "17,5"),
        ("0.000", "0", "0"),
        ("-2.250", "-2.25", "-2,25"),
        ("1234.5", "1,234.5", "1.234,5"),
        ("-1234567.890", "-1,234,567.89", "-1.234.567,89"),
        ("999.999", "999.999", "999,999"),
        ("1000", "1,000", "1.000"),
        ("100", "100", "100"),
        # Not a number: written as stored, never an error.
        ("NaN", "NaN", "NaN"),
        ("Infinity", "Infinity", "Infinity"),
        ("12,5", "12,5", "12,5"),
        ("", "", ""),
        ("1e999999999", "1e999999999", "1e999999999"),
    ],
)
def test_a_decimal_is_a_number_of_the_reader_s_language(stored: str, english: str, dutch: str) -> None:
    assert number(stored, "en") == english
    assert number(stored, "nl") == dutch


#: One record of each titled kind as the data map collects it (stored values, times in UTC).
STORED = {
    "registry.invoice": {"number": "2026-0042", "issued_on": "2026-02-01"},
    "registry.usagerecord": {
        "metric": "traffic_gb",
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
    },
    "registry.service": {"kind": "web_hosting"},
    "registry.interaction": {"occurred_at": "2026-11-29T10:00:00+00:00"},
    "rights.request": {"reference": "R-2026-2EYH7Z"},
    "registry.role": {"kind": "technical"},
    "registry.serviceidentifier": {"kind": "ip_address"},
    "registry.invoiceline": {"description": "Web hosting, November"},
    "registry.disclosure": {"disclosed_at": "2026-03-01T09:00:00+00:00"},
    "consent.consentevent": {"kind": "withdrawn", "at": "2026-03-01T23:30:00+00:00"},
    "rights.event": {"at": "2026-12-31T23:30:00+00:00"},
    "rights.restriction": {"since": "2026-03-02T08:00:00+00:00"},
    "usersessions.usersession": {"created_at": "2026-03-01T23:30:00+00:00"},
}


@pytest.mark.parametrize(
    ("label", "english", "dutch"),
    [
        ("registry.invoice", "Invoice 2026-0042 of 1 February 2026", "Factuur 2026-0042 van 1 februari 2026"),
        ("registry.service", "Service: web hosting", "Dienst: webhosting"),
        ("registry.role", "Role: technical contact", "Rol: technisch contactpersoon"),
        ("registry.serviceidentifier", "Service identifier: IP address", "Dienstkenmerk: IP-adres"),
        (
            "registry.invoiceline",
            "Invoice line: Web hosting, November",
            "Factuurregel: Web hosting, November",
        ),
        (
            "registry.disclosure",
            "Passed on to others on 1 March 2026",
            "Aan anderen verstrekt op 1 maart 2026",
        ),
        # A moment is dated in the site's time zone (Europe/Brussels): 23:30 UTC is the next day there.
        (
            "consent.consentevent",
            "Consent withdrawn on 2 March 2026",
            "Toestemming ingetrokken op 2 maart 2026",
        ),
        ("rights.event", "Step in a request on 1 January 2027", "Stap in een verzoek op 1 januari 2027"),
        ("rights.restriction", "Restriction since 2 March 2026", "Beperking sinds 2 maart 2026"),
        ("usersessions.usersession", "Session since 2 March 2026", "Sessie sinds 2 maart 2026"),
    ],
)
def test_a_record_is_titled_by_what_it_is_in_the_reader_s_language(
    label: str, english: str, dutch: str
) -> None:
    model = apps.get_model(label)
    assert record_title(model, STORED[label], "en") == english
    assert record_title(model, STORED[label], "nl") == dutch


def test_every_titled_kind_has_a_stored_example_and_an_empty_field_leaves_it_untitled() -> None:
    assert set(STORED) == set(TITLES)
    for label, fields in STORED.items():
        model = apps.get_model(label)
        assert record_title(model, fields, "en"), label
        for name in fields:
            assert record_title(model, {**fields, name: None}, "en") == "", (label, name)
            assert record_title(model, {**fields, name: ""}, "en") == "", (label, name)


@pytest.mark.django_db
def test_an_account_event_reads_in_words_and_any_other_payload_keeps_its_keys(publish) -> None:
    """A log-in of the person's account is told as the log-in history tells it; an entry about something
    else that the account app journals (an instruction to consult a website's data) keeps every detail."""
    from trustdesk.policy.queries import version_in_effect
    from trustdesk.rights.fulfil.readable import _details, _what_happened

    publish()
    version = version_in_effect()
    assert version is not None
    policy = version.loaded.policy
    login = {
        "ip": "192.0.2.1",
        "user_agent": "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0",
    }
    assert _what_happened("accounts.logged_in", "auth.user", "nl") == "Aangemeld"
    assert _details(login, "auth.user", policy, "en", "accounts.logged_in") == (
        "IP address: 192.0.2.1; Browser: Firefox 128 on Windows 10/11"
    )
    access = {"organisation": 7, "what": "the mailbox of info@"}
    assert _what_happened("accounts.content_accessed", "accounts.contentaccessinstruction", "en") == (
        "accounts.content_accessed"
    )
    assert _details(
        access, "accounts.contentaccessinstruction", policy, "en", "accounts.content_accessed"
    ) == ("organisation: 7; what: the mailbox of info@")
