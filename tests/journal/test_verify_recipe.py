"""verify() writes the core's canonical JSON itself: it must be the recipe's text, whatever the core holds."""

from __future__ import annotations

import datetime as dt

import pytest

from trustdesk.journal.chain import entry_hash, format_at
from trustdesk.journal.verify import _core_hash, _recipe_at, _sortable


@pytest.mark.parametrize(
    "text",
    ["user:42", "", 'a"b', "back\\slash", "line\nbreak\ttab\x00\x1f\x7f", "Zoë ✓ 🙂", "\u2028\u2029", "/"],
)
def test_its_core_hash_is_the_recipe(text: str) -> None:
    when = "2025-03-05T14:07:09.120000Z"
    core = (text, "registry.person.created", text, "17", text, "0" * 64)
    assert _core_hash(12, when, core) == entry_hash(12, when, *core)


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2025, 3, 5, 14, 7, 9, 120000, tzinfo=dt.UTC),
        dt.datetime(2025, 3, 5, 14, 7, 9, tzinfo=dt.UTC),
        dt.datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
        dt.datetime(2025, 3, 5, 16, 7, 9, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    ],
)
def test_its_times_are_the_recipe_and_sort_like_time(moment: dt.datetime) -> None:
    sortable = _sortable(moment)
    assert _recipe_at(sortable) == format_at(moment)
    assert _sortable(moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")) == sortable
    later = _sortable(moment + dt.timedelta(microseconds=1))
    assert sortable < later
