"""The page's language code, shared by the views that pick a policy text or an e-mail by it."""

from __future__ import annotations

from django.utils import translation

from trustdesk.lib.languages import page_language


def test_it_gives_the_active_language_without_its_region() -> None:
    with translation.override("nl"):
        assert page_language() == "nl"
    with translation.override("nl-be"):
        assert page_language() == "nl"
    with translation.override("en-gb"):
        assert page_language() == "en"


def test_it_gives_english_when_no_language_is_active() -> None:
    with translation.override(None):
        assert translation.get_language() is None
        assert page_language() == "en"
