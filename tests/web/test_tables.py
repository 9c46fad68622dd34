"""Every data table of the pages sits in its own scroll box (WCAG 1.4.10).

At 320 CSS pixels a table of several columns is wider than the window. It may scroll sideways, but only
in a box of its own, which the keyboard reaches (tabindex="0") and a screen reader names by a heading of
the same template (role="group", aria-labelledby): the page itself never scrolls sideways. The browser
sweep (test_accessibility_browser.py) measures the pages it visits; this test reads every template, so a
table on a page the sweep does not reach cannot slip through. The data-subject report is a document of
its own with its own style (rights/report_style.html), not a page of the site, and is left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import trustdesk

ROOT = Path(trustdesk.__file__).parent
NOT_PAGES = {"rights/templates/rights/report.en.html", "rights/templates/rights/report.nl.html"}
BOX = re.compile(
    r'<div class="table-scroll" tabindex="0" role="group" aria-labelledby="(?P<label>[^"]+)">\s*<table\b'
)


def _templates() -> list[Path]:
    return sorted(
        path
        for path in ROOT.glob("*/templates/**/*.html")
        if path.relative_to(ROOT).as_posix() not in NOT_PAGES and "<table" in path.read_text(encoding="utf-8")
    )


def test_there_are_tables_to_check() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in _templates()}
    assert "portal/templates/portal/data.html" in names
    assert "policy/templates/policy/statement/nl.html" in names
    assert len(names) >= 15


@pytest.mark.parametrize("path", _templates(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_each_table_is_in_a_named_scroll_box(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tables = len(re.findall(r"<table\b", text))
    boxes = list(BOX.finditer(text))
    assert len(boxes) == tables, f"{tables - len(boxes)} of {tables} tables are not in a .table-scroll box"
    for box in boxes:
        label = box["label"]
        assert f'id="{label}"' in text, f"the box names its heading '{label}', which this template lacks"
