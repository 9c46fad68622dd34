"""Customer exit: asking the recipients that received an organisation's data to delete it (P4.2, P4.3).

A recipient of the policy with ``erasure_request: EVENT`` is asked to delete an organisation's data
once that event has happened for every disclosure to it: ``end_of_service`` when the last service
disclosed to it has ended (the customer takes no more domains), ``certificate_expiry`` when the
certificate expired without a renewal, ``end_of_contract`` when the organisation's contract ended.
Each request is a ``RecipientErasureRequest`` (one per organisation, recipient and event day),
sent through the recipient's channel (``settings.RETENTION_ERASURE_CHANNELS``: an e-mail address
or a webhook URL), reminded every ``RETENTION_ERASURE_REMINDER_DAYS`` until staff record the
recipient's confirmation (``trustdesk retention confirm ID``). Every step is journaled with
references only; the identifiers sent (domain names, the customer's reference) stay on the
request until it is confirmed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from trustdesk.journal.services import record
from trustdesk.lib import mail
from trustdesk.lib.pseudonyms import is_pseudonym
from trustdesk.policy.schema import Policy
from trustdesk.registry.models import Disclosure, Organisation, ServiceIdentifier
from trustdesk.registry.services import Actor
from trustdesk.retention.clocks import NA, PENDING, Context, RetentionError
from trustdesk.retention.models import ErasureChannel, ErasureStatus, RecipientErasureRequest

log = logging.getLogger(__name__)

OBJECT_TYPE = "retention.recipienterasurerequest"
TEMPLATE = "retention/email/erasure_request"
#: A webhook answer is awaited this many seconds.
WEBHOOK_TIMEOUT = 20

#: The moves a request may make; anything else is refused.
_MOVES: dict[str, set[str]] = {
    ErasureStatus.PENDING: {ErasureStatus.SENT, ErasureStatus.FAILED, ErasureStatus.CONFIRMED},
    ErasureStatus.FAILED: {ErasureStatus.SENT, ErasureStatus.FAILED, ErasureStatus.CONFIRMED},
    ErasureStatus.SENT: {ErasureStatus.REMINDED, ErasureStatus.CONFIRMED},
    ErasureStatus.REMINDED: {ErasureStatus.REMINDED, ErasureStatus.CONFIRMED},
    ErasureStatus.CONFIRMED: set(),
}


class ExitError(RetentionError):
    """A recipient erasure request cannot move as asked; the message says why."""


@dataclass
class ExitReport:
    created: int = 0
    sent: int = 0
    reminded: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "sent": self.sent, "reminded": self.reminded, "failed": self.failed}


def _journal(request: RecipientErasureRequest, action: str, actor: Actor, **extra: Any) -> None:
    record(
        f"retention.erasure_request.{action}",
        actor=actor.ref,
        object_type=OBJECT_TYPE,
        object_id=str(request.pk),
        payload={
            "recipient": request.recipient,
            "event": request.event,
            "channel": request.channel,
            "status": request.status,
            "reminders": request.reminders,
            **extra,
        },
    )


def _move(request: RecipientErasureRequest, to: str) -> None:
    if to not in _MOVES[request.status]:
        raise ExitError(f"{request.reference} is {request.get_status_display()}: it cannot become {to}")
    request.status = to


# --- which exits are due -------------------------------------------------------------------------


def exits_due(policy: Policy, context: Context) -> list[tuple[int, str, str, dt.date, list[int]]]:
    """(organisation, recipient, event, event day, disclosure ids) for every exit whose event has happened."""
    due = []
    for key, recipient in sorted(policy.recipients.items()):
        if recipient.erasure_request is None:
            continue
        event = recipient.erasure_request.value
        by_org: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
        for pk, org_id, service_id in Disclosure.objects.filter(recipient=key).values_list(
            "pk", "organisation_id", "service_id"
        ):
            by_org[org_id].append((pk, service_id))
        for org, disclosures in sorted(by_org.items()):
            days = []
            for _, service in disclosures:
                start = (
                    context.service_start(event, service)
                    if service is not None
                    else context.org_start(event, org)
                )
                if start == NA and service is not None:
                    start = context.org_start(event, org)
                days.append(start)
            if any(day in (PENDING, NA) for day in days):
                continue
            day = max(d for d in days if isinstance(d, dt.date))
            if day > context.today:
                continue
            due.append((org, key, event, day, [pk for pk, _ in disclosures]))
    return due


def _identifiers(organisation: Organisation, disclosures: list[int]) -> dict[str, Any]:
    """What the recipient needs to find the data: the domain names and the customer's reference."""
    rows = list(Disclosure.objects.filter(pk__in=disclosures).order_by("disclosed_at", "pk"))
    services = {row.service_id for row in rows if row.service_id is not None}
    domains = sorted(
        {
            value
            for value in ServiceIdentifier.objects.filter(
                service_id__in=services, kind=ServiceIdentifier.Kind.DOMAIN
            ).values_list("value", flat=True)
            if not is_pseudonym(value)
        }
    )
    return {
        "customer_reference": organisation.external_ref or f"organisation-{organisation.pk}",
        "domains": domains,
        "disclosed_on": sorted({timezone.localtime(row.disclosed_at).date().isoformat() for row in rows}),
        "categories": sorted({c for row in rows for c in (row.categories or []) if isinstance(c, str)}),
    }


def do_open_exits(policy: Policy, context: Context, *, actor: Actor) -> int:
    """Create a request for every exit that is due and has none yet; returns how many were created."""
    created = 0
    for org, key, event, day, disclosures in exits_due(policy, context):
        if RecipientErasureRequest.objects.filter(organisation_id=org, recipient=key, event_on=day).exists():
            continue
        target = channel_of(key)
        organisation = Organisation.objects.get(pk=org)
        try:
            with transaction.atomic():
                request = RecipientErasureRequest.objects.create(
                    organisation=organisation,
                    recipient=key,
                    event=event,
                    event_on=day,
                    channel=target[0] if target else ErasureChannel.EMAIL,
                    identifiers=_identifiers(organisation, disclosures),
                    disclosures=len(disclosures),
                )
                _journal(request, "opened", actor, event_on=day.isoformat(), disclosures=len(disclosures))
        except IntegrityError:
            continue  # opened by a run at the same moment
        created += 1
    return created


# --- channels ------------------------------------------------------------------------------------


def channel_of(recipient: str) -> tuple[str, str] | None:
    """(``email`` or ``webhook``, the address or URL) configured for a recipient, or None."""
    target = settings.RETENTION_ERASURE_CHANNELS.get(recipient)
    if target is None:
        return None
    if target.startswith("mailto:"):
        return ErasureChannel.EMAIL, target.removeprefix("mailto:")
    return ErasureChannel.WEBHOOK, target


def _body(request: RecipientErasureRequest, policy: Policy, *, reminder: bool) -> dict[str, Any]:
    return {
        "reference": request.reference,
        "kind": "reminder" if reminder else "erasure_request",
        "controller": policy.controller.legal_name,
        "recipient": request.recipient,
        "event": request.event,
        "event_on": request.event_on.isoformat(),
        "first_sent_on": timezone.localtime(request.sent_at).date().isoformat() if request.sent_at else None,
        "reminder": request.reminders + 1 if reminder else 0,
        **request.identifiers,
    }


def _post(url: str, body: dict[str, Any]) -> str:
    """POST the JSON body; '' when the receiver answered 2xx, otherwise why not (no URL, no data)."""
    data = json.dumps(body, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "Trustdesk"}
    secret = settings.RETENTION_WEBHOOK_SECRET
    if secret:
        digest = hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
        headers["X-Trustdesk-Signature"] = f"sha256={digest}"
    message = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310 (checked scheme)
    try:
        with urllib.request.urlopen(message, timeout=WEBHOOK_TIMEOUT) as answer:  # noqa: S310
            status = int(answer.status)
    except urllib.error.HTTPError as exc:
        return f"the webhook answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"the webhook could not be reached ({type(reason).__name__})"
    return "" if 200 <= status < 300 else f"the webhook answered HTTP {status}"


def _failed(request: RecipientErasureRequest, why: str, actor: Actor) -> None:
    with transaction.atomic():
        locked = RecipientErasureRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status in (ErasureStatus.PENDING, ErasureStatus.FAILED):
            _move(locked, ErasureStatus.FAILED)
        locked.attempts += 1
        locked.last_error = why[:200]
        locked.save(update_fields=["status", "attempts", "last_error"])
        _journal(locked, "failed", actor, error=locked.last_error)


def _deliver(request: RecipientErasureRequest, policy: Policy, *, reminder: bool, actor: Actor) -> str:
    """Send the request (or a reminder) through the recipient's channel; '' when sent, else why not."""
    target = channel_of(request.recipient)
    if target is None:
        return (
            f"no channel is configured for recipient '{request.recipient}': add "
            f"'{request.recipient}=mailto:ADDRESS' or '{request.recipient}=https://URL' to "
            "TRUSTDESK_ERASURE_CHANNELS"
        )
    kind, address = target
    now = timezone.now()
    body = _body(request, policy, reminder=reminder)
    # Delivered first, recorded after: a run killed in between sends it again (the reference is the
    # same, so the recipient sees a repeat), never records as sent what was not.
    why = _post(address, body) if kind == ErasureChannel.WEBHOOK else _email(request, policy, address, body)
    if why:
        return why
    to = ErasureStatus.REMINDED if reminder else ErasureStatus.SENT
    with transaction.atomic():
        # Claimed by a conditional update: a request another run sent or reminded meanwhile is left alone.
        claimed = RecipientErasureRequest.objects.filter(
            pk=request.pk, status=request.status, last_sent_at=request.last_sent_at
        ).update(
            status=to,
            channel=kind,
            sent_at=request.sent_at or now,
            last_sent_at=now,
            reminders=F("reminders") + (1 if reminder else 0),
            attempts=F("attempts") + 1,
            last_error="",
        )
        if claimed:
            request.refresh_from_db()
            _journal(request, "reminded" if reminder else "sent", actor)
    return ""


def _email(request: RecipientErasureRequest, policy: Policy, address: str, body: dict[str, Any]) -> str:
    """Send the e-mail now, in the policy's first language; '' when the server took it, else why not."""
    lang = policy.languages[0]
    recipient = policy.recipients[request.recipient]
    context = {**body, "recipient_name": recipient.display_name(lang), "policy": policy}
    subject, text, html = mail.render(TEMPLATE, lang=lang, context=context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [address])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception as exc:  # the SMTP server refused or could not be reached
        log.warning("recipient erasure request %s could not be e-mailed (%s)", request.pk, mail.failure(exc))
        return f"the e-mail could not be sent ({mail.failure(exc)})"
    return ""


def _send(request: RecipientErasureRequest, policy: Policy, *, reminder: bool, actor: Actor) -> bool:
    why = _deliver(request, policy, reminder=reminder, actor=actor)
    if why:
        _failed(request, why, actor)
        return False
    return True


def do_send_exits(policy: Policy, *, actor: Actor, now: dt.datetime | None = None) -> ExitReport:
    """Send requests not sent yet (or that failed), and remind recipients that have not confirmed."""
    report = ExitReport()
    moment = now or timezone.now()
    for request in RecipientErasureRequest.objects.filter(
        status__in=[ErasureStatus.PENDING, ErasureStatus.FAILED]
    ).order_by("pk"):
        if request.recipient not in policy.recipients:
            _failed(request, f"recipient '{request.recipient}' is not in the policy in effect", actor)
            report.failed += 1
            continue
        if _send(request, policy, reminder=False, actor=actor):
            report.sent += 1
        else:
            report.failed += 1
    limit = moment - dt.timedelta(days=settings.RETENTION_ERASURE_REMINDER_DAYS)
    for request in RecipientErasureRequest.objects.filter(
        status__in=[ErasureStatus.SENT, ErasureStatus.REMINDED], last_sent_at__lte=limit
    ).order_by("pk"):
        if request.recipient not in policy.recipients:
            continue
        if _send(request, policy, reminder=True, actor=actor):
            report.reminded += 1
        else:
            report.failed += 1
    return report


def do_customer_exits(*, actor: Actor, context: Context | None = None) -> ExitReport:
    """Open the requests that are due and send what is to be sent; the periodic job's entry point."""
    from trustdesk.retention.sweep import policy_in_effect

    policy = context.policy if context is not None else policy_in_effect()
    created = do_open_exits(policy, context or Context(policy), actor=actor)
    report = do_send_exits(policy, actor=actor)
    report.created = created
    return report


def do_confirm_erasure_request(pk: int, *, actor: Actor, note: str = "") -> RecipientErasureRequest:
    """Record that the recipient confirmed the deletion; the identifiers kept for it are cleared."""
    with transaction.atomic():
        request = RecipientErasureRequest.objects.select_for_update().filter(pk=pk).first()
        if request is None:
            raise ExitError(f"there is no recipient erasure request {pk}")
        if request.status == ErasureStatus.CONFIRMED:
            when = (
                timezone.localtime(request.confirmed_at).date() if request.confirmed_at else "an unknown day"
            )
            raise ExitError(f"{request.reference} was confirmed already, on {when}")
        _move(request, ErasureStatus.CONFIRMED)
        request.confirmed_at = timezone.now()
        request.confirmed_by = actor.ref[:100]
        request.confirmation_note = note[:300]
        request.identifiers = {}
        request.save()
        _journal(request, "confirmed", actor)
    return request
