"""E-mail from templates: a subject and a text per language, laid out as HTML by one shared template.

``send(name, to=..., lang=..., context=...)`` renders ``<name>.<lang>.subject.txt`` and
``<name>.<lang>.txt`` (``name`` is a template path such as ``rights/email/acknowledged``) and
the HTML part from ``email/base.html`` around the same text, then sends the message when the
current transaction commits, so that nothing is announced that was rolled back. Addresses are
never logged; a failure to send is logged with the template's name and the kind of failure (the
exception's class and the SMTP reply codes), and raised as :class:`MailNotSent`, which says the same:
an SMTP server's refusal quotes the addresses it refused, so its text goes nowhere.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import smtplib
from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

log = logging.getLogger(__name__)


class MailNotSent(Exception):
    """The SMTP server refused a message or could not be reached; names the template and the kind of
    failure, never an address."""


def failure(exc: BaseException) -> str:
    """The kind of a failure to send: the exception's class and the SMTP reply codes, no text of the server's
    (which quotes the addresses it refused)."""
    codes: set[int] = set()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = {code for code, _reply in exc.recipients.values()}
    elif isinstance(exc, smtplib.SMTPResponseException):
        codes = {exc.smtp_code}
    return type(exc).__name__ + (" " + ", ".join(str(code) for code in sorted(codes)) if codes else "")


def not_sent(name: str, exc: BaseException) -> MailNotSent:
    """Log that the e-mail ``name`` could not be sent, by the kind of failure only; the error to raise
    (``from None``: the original's text would quote the addresses)."""
    why = failure(exc)
    log.error("the e-mail %s could not be sent (%s)", name, why)
    return MailNotSent(f"the e-mail {name} could not be sent ({why})")


_quiet: contextvars.ContextVar[bool] = contextvars.ContextVar("trustdesk_mail_quiet", default=False)


@contextlib.contextmanager
def unsent() -> Iterator[None]:
    """Render but do not send the messages of this block: for generated example data (the demo)."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def render(name: str, *, lang: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of a message in ``lang``."""
    data = {**context, "lang": lang}
    with translation.override(lang):  # dates and numbers in the message's language
        subject = " ".join(render_to_string(f"{name}.{lang}.subject.txt", data).split())
        text = render_to_string(f"{name}.{lang}.txt", data).strip() + "\n"
        html = render_to_string("email/base.html", {**data, "subject": subject, "text": text})
    return subject, text, html


def send(
    name: str,
    *,
    to: str,
    lang: str,
    context: Mapping[str, Any],
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> None:
    """Send the message when the transaction commits (at once outside a transaction)."""
    subject, text, html = render(name, lang=lang, context=context)
    if _quiet.get():
        return
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments or []:
        message.attach(filename, content, mimetype)

    def _deliver() -> None:
        try:
            message.send()
        except Exception as exc:
            raise not_sent(name, exc) from None

    transaction.on_commit(_deliver, robust=False)
