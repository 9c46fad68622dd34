"""A message the SMTP server refuses: the failure is logged and raised with the template's name and
the kind of failure, never with the address, which a server's refusal quotes."""

from __future__ import annotations

import io
import socket
from typing import Any

import pytest
from django.db import transaction

from tests.lib.test_logfilters import logged
from tests.smtp import refusing
from trustdesk.lib import mail

ADDRESS = "anna.peeters@example.be"
TEMPLATE = "rights/email/acknowledged"


def _context() -> dict[str, Any]:
    from trustdesk.rights.models import Request

    request = Request(reference="R-2026-0001", kind="access", email=ADDRESS)
    return {"request": request, "controller": None, "due_on": None, "site_url": "https://privacy.example"}


@pytest.mark.django_db(transaction=True)
def test_a_refused_recipient_is_logged_and_raised_without_the_address(
    refusing: None, logged: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(mail.MailNotSent) as raised, transaction.atomic():
        mail.send(TEMPLATE, to=ADDRESS, lang="en", context=_context())
    assert str(raised.value) == f"the e-mail {TEMPLATE} could not be sent (SMTPRecipientsRefused 550)"
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert f"the e-mail {TEMPLATE} could not be sent (SMTPRecipientsRefused 550)" in logged.getvalue()
    everything = logged.getvalue() + caplog.text + str(raised.value)
    assert ADDRESS not in everything and "anna" not in everything


@pytest.mark.django_db(transaction=True)
def test_a_server_that_cannot_be_reached_is_named_by_the_kind_of_failure(settings: Any) -> None:
    with socket.socket() as closed:  # a port with nothing listening
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    with pytest.raises(mail.MailNotSent, match=r"\(ConnectionRefusedError\)$"), transaction.atomic():
        mail.send(TEMPLATE, to=ADDRESS, lang="en", context=_context())  # sent when the block commits


def test_the_kind_of_failure_has_the_reply_codes_and_no_reply_text() -> None:
    import smtplib

    refused = smtplib.SMTPRecipientsRefused(
        {ADDRESS: (550, b"<anna> unknown"), "b@x.example": (451, b"later")}
    )
    assert mail.failure(refused) == "SMTPRecipientsRefused 451, 550"
    assert mail.failure(smtplib.SMTPSenderRefused(553, b"<anna> no", ADDRESS)) == "SMTPSenderRefused 553"
    assert mail.failure(TimeoutError()) == "TimeoutError"


__all__ = ["logged", "refusing"]


@pytest.mark.django_db(transaction=True)
def test_every_message_of_a_block_is_tried_and_the_failures_are_reported_together(
    refusing: None, logged: io.StringIO
) -> None:
    recorded: list[str] = []
    with mail.reporting() as failures, transaction.atomic():
        for reference in ("R-2026-0001", "R-2026-0002"):
            mail.send(
                TEMPLATE,
                to=ADDRESS,
                lang="en",
                context=_context(),
                reference=reference,
                on_failure=recorded.append,
            )
    # Neither raised: both were tried, both failures collected and recorded.
    assert recorded == ["SMTPRecipientsRefused 550", "SMTPRecipientsRefused 550"]
    together = mail.combined(failures)
    assert together.references == ("R-2026-0001", "R-2026-0002") and together.stored
    assert str(together).count("could not be sent (SMTPRecipientsRefused 550)") == 2
    assert ADDRESS not in str(together) + logged.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_failure_to_record_the_failure_is_logged_and_does_not_hide_it(
    refusing: None, logged: io.StringIO
) -> None:
    def broken(why: str) -> None:
        raise RuntimeError("the database is gone")

    with pytest.raises(mail.MailNotSent, match="for R-2026-0001 could not be sent"), transaction.atomic():
        mail.send(
            TEMPLATE, to=ADDRESS, lang="en", context=_context(), reference="R-2026-0001", on_failure=broken
        )
    assert f"the failure of the e-mail {TEMPLATE} could not be recorded" in logged.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_message_kept_to_send_again_says_so_and_one_that_could_not_be_kept_does_not(
    refusing: None, logged: io.StringIO
) -> None:
    kept: list[tuple[Any, str]] = []
    with pytest.raises(mail.MailNotSent) as raised, transaction.atomic():
        mail.send(
            TEMPLATE, to=ADDRESS, lang="en", context=_context(), keep=lambda m, why: kept.append((m, why))
        )
    assert raised.value.kept is True
    [(message, why)] = kept
    assert message.to == [ADDRESS] and why == "SMTPRecipientsRefused 550"
    assert f"the e-mail {TEMPLATE} is kept to send again" in logged.getvalue()

    def broken(message: Any, why: str) -> None:
        raise RuntimeError(f"cannot store a message to {ADDRESS}")

    with pytest.raises(mail.MailNotSent) as unkept, transaction.atomic():
        mail.send(TEMPLATE, to=ADDRESS, lang="en", context=_context(), keep=broken)
    assert unkept.value.kept is False
    assert f"the e-mail {TEMPLATE} could not be kept to send again (RuntimeError)" in logged.getvalue()
    assert ADDRESS not in logged.getvalue()
    assert mail.combined([raised.value, unkept.value]).kept is False
    assert mail.combined([raised.value]).kept is True
