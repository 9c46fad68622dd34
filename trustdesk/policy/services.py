"""State changes of the policy app: publishing a version."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from trustdesk.policy.lint import Finding, has_errors, lint
from trustdesk.policy.loader import load_text
from trustdesk.policy.models import PolicyVersion
from trustdesk.policy.queries import forget_versions_in_request, latest_version


class PublishRefused(Exception):
    """The policy cannot be published; the message says why."""

    def __init__(self, message: str, findings: list[Finding] | None = None):
        super().__init__(message)
        self.findings = findings or []


@dataclass(frozen=True)
class PublishResult:
    version: PolicyVersion
    created: bool
    findings: list[Finding]


def do_publish_policy(
    text: str, source_name: str, *, actor: str, effective: dt.date | None = None
) -> PublishResult:
    """Publish a policy file's text as a new immutable version.

    The policy must load and pass lint without errors. Publishing the same text as the
    newest version creates nothing. A version cannot take effect before the day it is
    published: a statement's changes apply from their publication (P0.12).
    """
    loaded = load_text(text, source_name)
    findings = lint(loaded)
    if has_errors(findings):
        count = sum(1 for f in findings if f.severity == "error")
        raise PublishRefused(
            f"{source_name}: not published, lint found {count} error{'s' if count != 1 else ''}", findings
        )
    today = timezone.localdate()
    effective = effective or today
    if effective < today:
        raise PublishRefused(
            f"{source_name}: not published, the effective date {effective:%Y-%m-%d} is in the past; a version "
            f"takes effect on the day it is published ({today:%Y-%m-%d}) or later"
        )
    try:
        with transaction.atomic():
            return _store(text, source_name, loaded.sha256, actor, effective, findings)
    except IntegrityError:
        # Two publishers took the same number at the same moment; the unique number refused one.
        raise PublishRefused(
            f"{source_name}: another version was published at the same moment; try again"
        ) from None


def _store(
    text: str, source_name: str, sha256: str, actor: str, effective: dt.date, findings: list[Finding]
) -> PublishResult:
    newest = latest_version()
    if newest is not None and newest.sha256 == sha256 and newest.effective_from <= effective:
        return PublishResult(version=newest, created=False, findings=findings)
    number = (PolicyVersion.objects.aggregate(top=Max("number"))["top"] or 0) + 1
    version = PolicyVersion.objects.create(
        number=number,
        sha256=sha256,
        text=text,
        source_name=source_name[:500],
        published_at=timezone.now(),
        published_by=actor[:200],
        effective_from=effective,
    )
    forget_versions_in_request()
    return PublishResult(version=version, created=True, findings=findings)
