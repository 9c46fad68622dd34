"""The Dutch interface is complete and its compiled catalogue matches the source."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[2] / "trustdesk" / "locale"


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n")


def _entries(po: Path) -> list[tuple[str, str]]:
    text = po.read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n"):
        if block.lstrip().startswith("#~"):
            continue
        match = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', block + "\n", re.M)
        if match:
            msgid = "".join(re.findall(r'"(.*)"', match.group(1)))
            msgstr = "".join(re.findall(r'"(.*)"', match.group(2)))
            if msgid:
                entries.append((_unescape(msgid), _unescape(msgstr)))
    return entries


def test_it_translates_every_interface_text_into_dutch() -> None:
    entries = _entries(LOCALE / "nl" / "LC_MESSAGES" / "django.po")
    assert entries
    assert [msgid for msgid, msgstr in entries if not msgstr] == []


def test_it_ships_a_compiled_catalogue_that_matches_the_source() -> None:
    catalogue = gettext.GNUTranslations((LOCALE / "nl" / "LC_MESSAGES" / "django.mo").open("rb"))
    for msgid, msgstr in _entries(LOCALE / "nl" / "LC_MESSAGES" / "django.po"):
        assert catalogue.gettext(msgid) == msgstr, msgid
