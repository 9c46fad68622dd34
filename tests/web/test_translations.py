"""The Dutch interface is complete and its compiled catalogue matches the source.

Complete means: every text marked for translation in the code and the templates has a Dutch text in the
committed catalogue (``makemessages`` extracts them into a scratch copy of the package, never into the
committed ``.po``), and every entry of the catalogue is translated.
"""

from __future__ import annotations

import gettext
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

PACKAGE = Path(__file__).resolve().parents[2] / "trustdesk"
LOCALE = PACKAGE / "locale"


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n")


_ENTRY = re.compile(
    r'^msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+((?:msgstr\[\d+\] (?:".*"\n)+)+)|msgstr ((?:".*"\n)+))',
    re.M,
)


def _joined(lines: str) -> str:
    return _unescape("".join(re.findall(r'"(.*)"', lines)))


def _entries(po: Path) -> list[tuple[str, str]]:
    """(msgid, msgstr) of each entry but the obsolete ones (``#~``); a plural entry's msgstr is its first
    form, and empty unless every form is translated."""
    entries = []
    for match in _ENTRY.finditer(po.read_text(encoding="utf-8") + "\n"):
        msgid = _joined(match.group(1))
        if match.group(2) is not None:
            forms = [_joined(form) for form in re.split(r"^msgstr\[\d+\] ", match.group(2), flags=re.M)[1:]]
            msgstr = forms[0] if forms and all(forms) else ""
        else:
            msgstr = _joined(match.group(3))
        if msgid:
            entries.append((msgid, msgstr))
    return entries


def _marked(scratch: Path, settings, monkeypatch) -> set[str]:
    """Every text marked for translation in the package, as ``makemessages`` extracts it from a copy in
    ``scratch`` (it walks the working directory and writes next to it: the committed files stay untouched)."""
    copy = scratch / "trustdesk"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "static"))
    (copy / "locale").mkdir()
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["nl"], no_location=True, verbosity=0)
    return {msgid for msgid, _msgstr in _entries(copy / "locale" / "nl" / "LC_MESSAGES" / "django.po")}


def test_it_translates_every_interface_text_into_dutch() -> None:
    entries = _entries(LOCALE / "nl" / "LC_MESSAGES" / "django.po")
    assert entries
    assert [msgid for msgid, msgstr in entries if not msgstr] == []


def test_it_ships_a_compiled_catalogue_that_matches_the_source() -> None:
    catalogue = gettext.GNUTranslations((LOCALE / "nl" / "LC_MESSAGES" / "django.mo").open("rb"))
    for msgid, msgstr in _entries(LOCALE / "nl" / "LC_MESSAGES" / "django.po"):
        assert catalogue.gettext(msgid) == msgstr, msgid


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="makemessages needs GNU gettext (xgettext)")
def test_it_has_a_dutch_text_for_every_text_marked_in_the_code(tmp_path, settings, monkeypatch) -> None:
    marked = _marked(tmp_path, settings, monkeypatch)
    assert "Log in" in marked  # the extraction found the interface's texts
    committed = dict(_entries(LOCALE / "nl" / "LC_MESSAGES" / "django.po"))
    assert sorted(msgid for msgid in marked if not committed.get(msgid)) == []
