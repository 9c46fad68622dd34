"""HTML written in Python (trustdesk.lib.markup): escaped exactly as Django's templates escape."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy

from trustdesk.lib import markup

HOSTILE = [
    "<script>alert(1)</script>",
    '" onmouseover="x',
    "' onfocus='y",
    "a & b &amp; c",
    "ünïcödé — ✓",
    "\x00\r\n\t",
    "{} {0} {name}",  # format placeholders in a value are text, not placeholders
    SafeString("<b>marked safe</b>"),  # escaped anyway: a value is never trusted
    42,
    None,
]


def test_it_escapes_as_django_escape_does() -> None:
    for value in HOSTILE:
        assert markup.text(value) == escape(value), repr(value)


def test_a_row_is_what_the_template_wrote() -> None:
    template = Template("<tr>{% for cell in cells %}<td>{{ cell|force_escape }}</td>{% endfor %}</tr>")
    written = template.render(Context({"cells": HOSTILE}))
    assert markup.table_row(HOSTILE) == written
    assert isinstance(markup.table_row(HOSTILE), SafeString)


def test_fill_matches_format_html_for_plain_values() -> None:
    pattern = '<a href="{}">{}</a><span class="{}">{}</span>'
    values = ["/console/requests/R-1?a=1&b=2", "<R-1>", 'badge "x"', "{}"]
    assert markup.fill(pattern, *values) == format_html(pattern, *values)


def test_a_lazy_translation_is_written_in_the_active_language() -> None:
    label = gettext_lazy("My data")
    with translation.override("nl"):
        dutch = markup.table_row([label])
    with translation.override("en"):
        english = markup.table_row([label])
    assert english == "<tr><td>My data</td></tr>"
    assert dutch != english and dutch.startswith("<tr><td>") and "My data" not in dutch
