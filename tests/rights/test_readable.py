"""The access report's and the portal's ways of writing stored values for a reader (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import formats, translation

from trustdesk.rights.fulfil.readable import _date, number


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
        ("1234.5", "1234.5", "1234,5"),
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
