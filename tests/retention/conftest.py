"""Helpers for the retention tests: policies with chosen purposes, records with chosen dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import models
from django.utils import timezone

from tests.conftest import POLICY
from trustdesk.policy.loader import load_text
from trustdesk.policy.schema import Policy
from trustdesk.registry.datamap_ops import reaches
from trustdesk.retention.clocks import Context, Verdict, columns, verdict

_HEAD, _REST = POLICY.split("purposes:\n", 1)
_TAIL = _REST[_REST.index("rights:\n") :]


def purpose(key: str, categories: str, retention: str | None, *, basis: str = "contract") -> str:
    """One purpose of a policy file, on ``basis``, with a retention such as 'P1M from collection'."""
    lines = [
        f"  {key}:",
        f"    name: {{en: {key}, nl: {key}}}",
        "    data_use: essential.service",
        f"    legal_basis: {basis}",
        "    data_subjects: [customer]",
        f"    data_categories: [{categories}]",
    ]
    if retention is not None:
        period, _, event = retention.split(" ", 2)
        lines.append(
            f"    retention: {{period: {period}, from: {event.removeprefix('from ')}, action: delete}}"
        )
    return "\n".join(lines) + "\n"


def policy_with(*purposes: str) -> Policy:
    return load_text(_HEAD + "purposes:\n" + "".join(purposes) + _TAIL).policy


def verdict_of(record: models.Model, policy: Policy, today: dt.date) -> Verdict:
    reach = next(r for r in reaches() if r.model is type(record))
    row: dict[str, Any] = (
        type(record)._default_manager.filter(pk=record.pk).values(*columns(type(record))).get()
    )
    return verdict(Context(policy, today), reach, row)


#: The test policy with a support purpose on legitimate interest: interactions and other free text
#: are kept three months after the person's last activity.
SUPPORT = """\
  support:
    name: {en: Support, nl: Ondersteuning}
    data_use: essential.service.operations.support
    legal_basis: legitimate_interests
    legitimate_interest:
      en: Answering the questions of customers and prospects.
      nl: De vragen van klanten en prospecten beantwoorden.
    objection:
      en: Write to privacy@hostwerk.example.
      nl: Schrijf naar privacy@hostwerk.example.
    data_subjects: [customer, prospect]
    data_categories: [user.content, user.device.ip_address, user.contact.email]
    requirement: optional
    retention: {period: P3M, from: last_activity, action: delete}
"""
RETENTION_POLICY = POLICY.replace("rights:\n", SUPPORT + "rights:\n", 1)
assert RETENTION_POLICY != POLICY


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"


@dataclass
class Exit:
    org: Any
    domain: Any
    certificate: Any


@pytest.fixture
def customer_exit(publish, settings, webhook) -> Exit:
    """The Dutch hosting policy; a customer whose last domain ended and whose OV certificate expired unrenewed."""
    from trustdesk.registry.models import Organisation, Service, ServiceIdentifier
    from trustdesk.registry.services import Actor, do_create, do_record_disclosure

    publish((EXAMPLES / "dutch-hosting-nl.yaml").read_text(encoding="utf-8"))
    settings.RETENTION_ERASURE_CHANNELS = {
        "domain_suppliers": "mailto:privacy@registrar.example",
        "certificate_authority": webhook.url,
    }
    staff = Actor.operator("tester")
    today = timezone.localdate()
    org = do_create(
        Organisation,
        {"kind": "company", "name": "Bakkerij Jansen BV", "external_ref": "C1042", "ended_on": None},
        actor=staff,
    )
    domain = do_create(
        Service, {"organisation": org, "kind": "domain", "ends_on": today - dt.timedelta(days=3)}, actor=staff
    )
    do_create(
        ServiceIdentifier, {"service": domain, "kind": "domain", "value": "bakkerij-jansen.nl"}, actor=staff
    )
    certificate = do_create(
        Service,
        {
            "organisation": org,
            "kind": "ssl_certificate",
            "certificate_type": "ov",
            "certificate_expires_on": today - dt.timedelta(days=1),
        },
        actor=staff,
    )
    do_create(
        ServiceIdentifier,
        {"service": certificate, "kind": "domain", "value": "bakkerij-jansen.nl"},
        actor=staff,
    )
    categories = ["user.name", "user.contact.address"]
    do_record_disclosure(org, "domain_suppliers", categories, actor=staff, service=domain)
    do_record_disclosure(org, "certificate_authority", categories, actor=staff, service=certificate)
    return Exit(org, domain, certificate)
