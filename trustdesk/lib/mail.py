"""E-mail from templates: a subject and a text per language, laid out as HTML by one shared template.

``send(name, to=..., lang=..., context=...)`` renders ``<name>.<lang>.subject.txt`` and
``<name>.<lang>.txt`` (``name`` is a template path such as ``rights/email/acknowledged``) and
the HTML part from ``email/base.html`` around the same text, then sends the message when the
current transaction commits, so that nothing is announced that was rolled back. Addresses are
never logged; a failure to send is logged with the template's name and the kind of failure (the
exception's class and the SMTP reply codes), and raised as :class:`MailNotSent`, which says the same:
an SMTP server's refusal quotes the addresses it refused, so its text goes nowhere.

Every message of a transaction is tried, even when an earlier one failed. Inside :func:`reporting` (every
web request, the ``request`` command) a failure is collected and the block's owner answers for all of them
at its end; outside it, the failure is raised at once. ``on_failure`` lets the caller record the failure
where staff see it (a request's timeline); ``keep`` lets it keep the message to send again later (an account's
notices: ``trustdesk.accounts.notices``), and the error then says so (``kept``).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import smtplib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

log = logging.getLogger(__name__)


class MailNotSent(Exception):
    """The SMTP server refused a message or could not be reached; names the template and the kind of
    failure, never an address.

    ``stored``: whether the action the message went with is stored (e-mail sent when a transaction commits)
    or nothing was (a message sent at once, such as a password reset link). ``references``: the case
    numbers of the requests whose messages were not sent, when they are known.
    """

    def __init__(
        self, message: str, *, stored: bool = True, references: tuple[str, ...] = (), kept: bool = False
    ) -> None:
        super().__init__(message)
        self.stored = stored
        self.references = references
        #: The message is kept and sent again later (``send(keep=...)``): the person will still get it.
        self.kept = kept


def failure(exc: BaseException) -> str:
    """The kind of a failure to send: the exception's class and the SMTP reply codes, no text of the server's
    (which quotes the addresses it refused)."""
    codes: set[int] = set()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = {code for code, _reply in exc.recipients.values()}
    elif isinstance(exc, smtplib.SMTPResponseException):
        codes = {exc.smtp_code}
    return type(exc).__name__ + (" " + ", ".join(str(code) for code in sorted(codes)) if codes else "")


def not_sent(name: str, exc: BaseException, *, stored: bool = True, reference: str = "") -> MailNotSent:
    """Log that the e-mail ``name`` could not be sent, by the kind of failure only; the error to raise
    (``from None``: the original's text would quote the addresses)."""
    why = failure(exc)
    about = f" for {reference}" if reference else ""
    log.error("the e-mail %s%s could not be sent (%s)", name, about, why)
    return MailNotSent(
        f"the e-mail {name}{about} could not be sent ({why})",
        stored=stored,
        references=(reference,) if reference else (),
    )


_failures: contextvars.ContextVar[list[MailNotSent] | None] = contextvars.ContextVar(
    "trustdesk_mail_failures", default=None
)


@contextlib.contextmanager
def reporting() -> Iterator[list[MailNotSent]]:
    """Collect the failures of the messages sent in this block instead of raising the first: every
    message is tried, and the block's owner reports them all (:func:`combined`)."""
    failures: list[MailNotSent] = []
    token = _failures.set(failures)
    try:
        yield failures
    finally:
        _failures.reset(token)


def combined(failures: list[MailNotSent]) -> MailNotSent:
    """One error for the failures of a block: its text lists theirs, its references are theirs."""
    references = tuple(dict.fromkeys(ref for failed in failures for ref in failed.references))
    return MailNotSent(
        "; ".join(str(failed) for failed in failures),
        stored=all(failed.stored for failed in failures),
        references=references,
        kept=all(failed.kept for failed in failures),
    )


def keeping(keep: Callable[[EmailMessage, str], None], message: EmailMessage, why: str, name: str) -> bool:
    """Whether ``keep`` kept the message that could not be sent; its own error is logged (never the
    message, which holds the address)."""
    try:
        keep(message, why)
    except Exception as exc:
        log.error("the e-mail %s could not be kept to send again (%s)", name, type(exc).__name__)
        return False
    log.warning("the e-mail %s is kept to send again", name)
    return True


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
    reference: str = "",
    on_failure: Callable[[str], None] | None = None,
    on_sent: Callable[[], None] | None = None,
    keep: Callable[[EmailMessage, str], None] | None = None,
) -> None:
    """Send the message when the transaction commits (at once outside a transaction).

    ``reference``: the case the message is about, named in the log and the error. ``on_failure`` is
    called with the kind of failure (:func:`failure`) when the message could not be sent, after the
    transaction committed; its own error is logged and does not hide the failure. ``on_sent`` is called
    once the mail server accepted the message; its own error is logged: the message went. ``keep`` is called
    with the message and the kind of failure to keep it for sending again later; the error then says it is
    kept (``kept``), and an error of ``keep``'s own is logged and leaves it unkept."""
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
            error, why = not_sent(name, exc, reference=reference), failure(exc)
        else:
            if on_sent is not None:
                try:
                    on_sent()
                except Exception:
                    log.exception("what follows the e-mail %s could not be recorded", name)
            return
        if on_failure is not None:
            try:
                on_failure(why)
            except Exception:
                log.exception("the failure of the e-mail %s could not be recorded", name)
        if keep is not None:
            error.kept = keeping(keep, message, why, name)
        collected = _failures.get()
        if collected is None:
            raise error from None
        collected.append(error)

    transaction.on_commit(_deliver, robust=False)
