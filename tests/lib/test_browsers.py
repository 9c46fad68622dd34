"""A browser's identification in words a person recognises, and what is left when none are found."""

from __future__ import annotations

import pytest
from django.utils import translation

from trustdesk.lib.browsers import READ_AT_MOST, browser_name

CHROME_ON_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/120.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("sent", "english", "dutch"),
    [
        # Every Mac since macOS 11 says 10_15_7, and Windows 11 says Windows NT 10.0: no version is made up.
        (CHROME_ON_MAC, "Chrome 120 on macOS", "Chrome 120 op macOS"),
        (CHROME_ON_MAC + " Edg/120.0.0.0", "Edge 120 on macOS", "Edge 120 op macOS"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_5) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/49.0.2623.112 Safari/537.36",
            "Chrome 49 on Mac OS X 10.9",
            "Chrome 49 op Mac OS X 10.9",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox 128 on Windows 10/11",
            "Firefox 128 op Windows 10/11",
        ),
        (
            "Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0",
            "Firefox 115 on Windows 7",
            "Firefox 115 op Windows 7",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome Mobile 126 on Android 14",
            "Chrome Mobile 126 op Android 14",
        ),
        # Only the program is known: its name alone.
        ("curl/8.5.0", "curl 8", "curl 8"),
        # Nothing known: the header as sent, its white space made single.
        ("billing-sync  (Polderhost)\n", "billing-sync (Polderhost)", "billing-sync (Polderhost)"),
        ("", "", ""),
        ("   ", "", ""),
    ],
)
def test_a_browser_is_named_in_the_page_language(sent: str, english: str, dutch: str) -> None:
    with translation.override("en"):
        assert browser_name(sent) == english
    with translation.override("nl"):
        assert browser_name(sent) == dutch


def test_no_header_names_nothing() -> None:
    assert browser_name(None) == ""


@pytest.mark.parametrize(
    "sent",
    [
        "Mozilla/5.0 (" + "a;" * 50_000,  # huge, and shaped to make a careless pattern backtrack
        "Mozilla/5.0 " + "(" * 10_000 + ")" * 10_000,
        "\x00\x1b[31mred\x1b[0m <script>alert(1)</script>",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"[:25],  # truncated
        "Ünïcödé ブラウザ/1.0",
    ],
)
def test_broken_hostile_or_huge_headers_are_read_only_in_part_and_never_raise(sent: str) -> None:
    name = browser_name(sent)
    assert isinstance(name, str) and len(name) <= READ_AT_MOST
    assert name == browser_name(sent)  # the same answer again (from the cache)
