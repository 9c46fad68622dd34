"""Notices to an account's owner that the mail server did not take, kept and sent again.

A notice tells the owner of a change to their account (a password, an address, two-factor authentication):
one that is lost may be the only sign of someone else's doing. When the mail server refuses it or cannot be
reached, the message is kept (:func:`keeper`), sealed under a key derived from the secret key for this use
alone, so that neither a copy of the database reads it nor someone who can write to it sends a message of
their own in the provider's name. The periodic job ``resend_notices`` (:func:`do_resend_due`) sends it again:
after 15 minutes, then twice as long each time (at most six hours apart), for three days. Once that time
runs out the message is emptied, the notice marked as given up and an error logged; the person's console
page and the dashboard show it to staff, who tell the owner another way and record how
(:func:`do_record_told_otherwise`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from trustdesk.accounts import sealing
from trustdesk.accounts.models import UnsentNotice
from trustdesk.journal.services import record
from trustdesk.lib import mail

log = logging.getLogger(__name__)

#: What the sealing key of a kept notice is derived for: no other sealed value opens with it.
NOTICES = b"trustdesk notices to send again"
#: The first wait before a notice is sent again; each later one is twice the one before, up to ``LONGEST``.
FIRST_WAIT = dt.timedelta(minutes=15)
LONGEST = dt.timedelta(hours=6)
#: How long after the first attempt a notice is still sent.
GIVE_UP_AFTER = dt.timedelta(days=3)
#: How long a notice given up is shown to staff (the person's console page, the dashboard).
GIVEN_UP_SHOWN = dt.timedelta(days=30)


def wait_after(attempts: int) -> dt.timedelta:
    """The wait before the next attempt, after ``attempts`` attempts (1 or more)."""
    return min(FIRST_WAIT * 2 ** max(attempts - 1, 0), LONGEST)


def _sealed(message: EmailMessage) -> str:
    parts = {
        "from": message.from_email,
        "to": list(message.to),
        "subject": str(message.subject),
        "text": str(message.body),
        "html": [
            str(content)
            for content, mimetype in getattr(message, "alternatives", [])
            if mimetype == "text/html"
        ],
        "headers": {str(k): str(v) for k, v in (message.extra_headers or {}).items()},
    }
    return sealing.seal(json.dumps(parts), use=NOTICES)


def _opened(row: UnsentNotice) -> EmailMultiAlternatives | None:
    text = sealing.opened(row.message, use=NOTICES) if sealing.is_sealed(row.message) else None
    if text is None:
        return None
    parts: dict[str, Any] = json.loads(text)
    message = EmailMultiAlternatives(
        parts["subject"], parts["text"], parts["from"], parts["to"], headers=parts["headers"]
    )
    for html in parts["html"]:
        message.attach_alternative(html, "text/html")
    return message


def keep(user: Any, template: str, message: EmailMessage, why: str) -> UnsentNotice:
    """Keep a notice to ``user`` that could not be sent, to send it again."""
    now = timezone.now()
    with transaction.atomic():
        return UnsentNotice.objects.create(
            user=user,
            template=template,
            message=_sealed(message),
            created_at=now,
            attempts=1,
            next_attempt_at=now + wait_after(1),
            last_failure=why[:100],
        )


def keeper(user: Any, template: str) -> Callable[[EmailMessage, str], None]:
    """``mail.send(keep=...)`` for a notice to ``user``."""

    def _keep(message: EmailMessage, why: str) -> None:
        keep(user, template, message, why)

    return _keep


def _give_up(row: UnsentNotice, now: dt.datetime, why: str) -> None:
    row.message = ""
    row.next_attempt_at = None
    row.given_up_at = now
    row.save(update_fields=["message", "next_attempt_at", "given_up_at", "attempts", "last_failure"])
    log.error(
        "the notice %s to account %s is given up (%s): tell its owner another way",
        row.template,
        row.user_id,
        why,
    )


def do_resend_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Send again every kept notice that is due (the periodic job), each in its own transaction; returns how
    many went, are kept for later and were given up."""
    now = now or timezone.now()
    counts = {"sent": 0, "kept": 0, "given_up": 0}
    due = UnsentNotice.objects.filter(given_up_at__isnull=True, next_attempt_at__lte=now)
    for pk in list(due.order_by("next_attempt_at").values_list("pk", flat=True)):
        with transaction.atomic():
            row = UnsentNotice.objects.select_for_update().filter(pk=pk, given_up_at__isnull=True).first()
            if row is None:
                continue
            message = _opened(row)
            if message is None:  # no key opens it any more (the secret key was changed without the old one)
                row.last_failure = "SealError"
                _give_up(row, now, "no key opens it")
                counts["given_up"] += 1
                continue
            row.attempts += 1
            try:
                message.send()
            except Exception as exc:
                row.last_failure = mail.failure(exc)[:100]
                if now + wait_after(row.attempts) - row.created_at > GIVE_UP_AFTER:
                    _give_up(row, now, row.last_failure)
                    counts["given_up"] += 1
                else:
                    row.next_attempt_at = now + wait_after(row.attempts)
                    row.save(update_fields=["attempts", "next_attempt_at", "last_failure"])
                    log.warning(
                        "the notice %s to account %s could not be sent again (%s): kept",
                        row.template,
                        row.user_id,
                        row.last_failure,
                    )
                    counts["kept"] += 1
                continue
            row.delete()
            log.info(
                "the notice %s to account %s is sent, at attempt %s", row.template, row.user_id, row.attempts
            )
            counts["sent"] += 1
    return counts


TOLD_OTHERWISE = "accounts.notices_told_otherwise"


def do_record_told_otherwise(user: Any, *, actor: str, note: str) -> int:
    """Staff told the owner of ``user`` another way of the notices given up: journaled with their note and
    which notices they were (``accounts.notices_told_otherwise``), and those rows go (they hold nothing but
    that). Returns how many; 0 when none was given up, and nothing is journaled."""
    with transaction.atomic():
        rows = list(
            UnsentNotice.objects.select_for_update()
            .filter(user=user, given_up_at__isnull=False)
            .order_by("given_up_at")
        )
        if not rows:
            return 0
        record(
            TOLD_OTHERWISE,
            actor=actor,
            object_type="auth.user",
            object_id=str(user.pk),
            payload={
                "note": note,
                "notices": [row.template for row in rows],
                "given_up": [row.given_up_at.isoformat() for row in rows if row.given_up_at],
            },
        )
        UnsentNotice.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return len(rows)
