"""Helpers for the retention tests: policies with chosen purposes, records with chosen dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

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
