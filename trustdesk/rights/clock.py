"""A request's due date: the policy's answer period from receipt, pauses and extension counted.

The counting itself (calendar months as the EDPB counts them, the controller's working days) is
:mod:`trustdesk.lib.deadlines`; this module feeds it the request's receipt, its pauses and its
recorded extension, and the policy in effect (``rights.answer_within``, ``rights.extension_max``,
``controller.country``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext

from trustdesk.lib import deadlines
from trustdesk.lib.durations import Duration
from trustdesk.policy.schema import Policy
from trustdesk.rights.models import Request


class NoPolicy(Exception):
    """No policy is in effect, so no deadline (and no request) can be set."""


@dataclass(frozen=True)
class Terms:
    """What the policy in effect says about answering requests."""

    policy: Policy
    #: The published version's SHA-256: what was rendered from one version holds for it.
    version_sha256: str
    country: str
    within: Duration
    extension_max: Duration
    download_expiry: Duration


def terms() -> Terms:
    from trustdesk.policy.queries import version_in_effect

    version = version_in_effect()
    if version is None:
        raise NoPolicy(gettext("no policy is in effect: publish one with `trustdesk policy publish` first"))
    policy = version.loaded.policy
    rights = policy.rights
    return Terms(
        policy,
        version.sha256,
        policy.controller.country,
        rights.answer_within,
        rights.extension_max,
        rights.download_expiry,
    )


def pauses_of(request: Request) -> list[deadlines.Pause]:
    if request.pk is None:
        return []
    return [deadlines.Pause(p.started_on, p.ended_on) for p in request.pauses.order_by("started_on", "id")]


def extension_of(request: Request) -> Duration | None:
    return Duration.parse(request.extended_by) if request.extended_by else None


def due_date(request: Request, *, today: dt.date | None = None, use: Terms | None = None) -> dt.date:
    """The day the answer is due, as things stand (an open pause counts up to today)."""
    chosen = use or terms()
    return deadlines.answer_due(
        request.received_on,
        chosen.country,
        within=chosen.within,
        pauses=pauses_of(request),
        extension=extension_of(request),
        extension_max=chosen.extension_max,
        today=today or timezone.localdate(),
    )


def may_extend(request: Request, *, today: dt.date | None = None, use: Terms | None = None) -> bool:
    chosen = use or terms()
    return deadlines.may_extend(
        request.received_on,
        chosen.country,
        today or timezone.localdate(),
        within=chosen.within,
        pauses=pauses_of(request),
    )


def urgency(request: Request, *, today: dt.date | None = None) -> deadlines.Urgency | None:
    """How the request's due date stands today; None once it is closed."""
    if not request.is_open:
        return None
    return deadlines.urgency(request.due_on, today or timezone.localdate())
