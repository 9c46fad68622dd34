"""What Trustdesk's log handler leaves out: PostgreSQL's detail of a database error, which can quote a
row's values (personal data), and the traceback of a request Django refuses as the client's fault
(tests/web/test_error_pages.py)."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest
from django.db import IntegrityError, connection, transaction

from trustdesk.lib.logfilters import DatabaseErrorDetails

EMAIL = "anna.peeters@example.be"


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """What the configured console handler writes while the test runs."""
    (console,) = [
        h for h in logging.getLogger().handlers if any(isinstance(f, DatabaseErrorDetails) for f in h.filters)
    ]
    # Swapped without StreamHandler.setStream, which flushes the stream it replaces: under pytest that is
    # a capture file that may be closed by now.
    stream = io.StringIO()
    previous, console.stream = console.stream, stream  # type: ignore[attr-defined]
    try:
        yield stream
    finally:
        console.stream = previous  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_a_real_unique_violation_is_logged_without_the_value_that_broke_it(logged: io.StringIO) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE log_probe (email VARCHAR(254) UNIQUE)")
        cursor.execute("INSERT INTO log_probe (email) VALUES (%s)", [EMAIL])
        try:
            with transaction.atomic():
                cursor.execute("INSERT INTO log_probe (email) VALUES (%s)", [EMAIL])
        except IntegrityError as exc:
            assert EMAIL in str(exc) or connection.vendor == "sqlite"  # PostgreSQL names the value
            logging.getLogger("django.request").error("Internal Server Error: /probe/", exc_info=True)
            logging.getLogger("trustdesk.probe").warning("could not store: %s", exc)
        else:
            pytest.fail("the second insert was accepted")
    text = logged.getvalue()
    assert "IntegrityError" in text and "Internal Server Error: /probe/" in text
    assert "could not store:" in text
    assert EMAIL not in text
    if connection.vendor == "postgresql":
        details = [line for line in text.splitlines() if "DETAIL:" in line]
        assert len(details) >= 2  # the traceback (the error and its cause) and the message
        assert all(
            line.endswith("DETAIL:  (left out of the log: it can quote the values of a row)")
            for line in details
        )


def _record(exc: BaseException, *args: object) -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        return logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "error %s", args, sys.exc_info()
        )


def test_it_leaves_out_every_detail_line_of_a_postgresql_error_and_keeps_the_rest() -> None:
    message = (
        'null value in column "last_name" of relation "registry_person" violates not-null constraint\n'
        f"DETAIL:  Failing row contains (12, Anna, null, {EMAIL}, +32 470 12 34 56)."
    )
    record = _record(IntegrityError(message), "x")
    assert DatabaseErrorDetails().filter(record)
    assert record.exc_text is not None
    assert "violates not-null constraint" in record.exc_text and "registry_person" in record.exc_text
    assert EMAIL not in record.exc_text and "+32 470" not in record.exc_text
    assert record.exc_text.count("DETAIL:") == 1


def test_it_leaves_other_errors_as_they_are() -> None:
    record = _record(ValueError(f"DETAIL: not a database error {EMAIL}"), "x")
    assert DatabaseErrorDetails().filter(record)
    assert record.exc_text is None and record.args == ("x",)
