"""Example requests for the demo: a queue with something overdue, something due soon, and answers given."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from trustdesk.lib import mail
from trustdesk.registry.models import Person
from trustdesk.registry.services import Actor
from trustdesk.rights import services
from trustdesk.rights.fulfil import do_fulfil
from trustdesk.rights.models import Request

#: (kind, days ago received, what happened since)
_CASES = [
    ("access", 40, "verified"),  # overdue
    ("erasure", 27, "verified"),  # due within days
    ("rectification", 12, "awaiting identity"),
    ("access", 18, "extended"),
    ("objection", 20, "fulfilled"),
    ("portability", 3, "received"),
]


def fill_requests(*, actor: Actor) -> int:
    """Open the example requests, once; returns how many were made (0 when requests exist already)."""
    if Request.objects.exists():
        return 0
    people = list(Person.objects.exclude(email="").order_by("pk")[: len(_CASES)])
    now = timezone.now()
    made = 0
    with transaction.atomic(), mail.unsent():
        for person, (kind, days, state) in zip(people, _CASES, strict=False):
            request = services.do_open_request(
                kind,
                channel="email",
                actor=actor,
                person=person,
                received_at=now - dt.timedelta(days=days),
                acknowledge=False,
                specifics={"changes": {"job_title": "office manager"}} if kind == "rectification" else None,
            )
            if state == "awaiting identity":
                services.do_ask_identity(request, actor=actor)
            elif state in ("verified", "extended", "fulfilled"):
                services.do_verify_identity(
                    request, method="staff", actor=actor, note="called back on the number on record"
                )
            if state == "extended":
                services.do_extend(
                    request, by="P2M", reason="The data is spread over archived systems.", actor=actor
                )
            if state == "fulfilled":
                do_fulfil(request, actor=actor)
            made += 1
    return made
