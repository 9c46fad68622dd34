"""The demo registry: counts, determinism, idempotence, disclosures to the policy's recipients."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import models, transaction

from tests.conftest import EXAMPLES
from trustdesk.journal.models import JournalEntry
from trustdesk.journal.verify import verify
from trustdesk.registry.demo_data import COUNTED, FillSummary, fill
from trustdesk.registry.models import (
    Disclosure,
    Interaction,
    Invoice,
    InvoiceLine,
    Organisation,
    Person,
    Role,
    Service,
    ServiceIdentifier,
    UsageRecord,
)

DAY = dt.date(2025, 6, 15)
SNAPSHOT_MODELS: tuple[type[models.Model], ...] = (
    Organisation,
    Person,
    Role,
    Service,
    ServiceIdentifier,
    Invoice,
    InvoiceLine,
    UsageRecord,
    Interaction,
    Disclosure,
)


@pytest.fixture
def dutch_policy(publish):
    return publish((EXAMPLES / "dutch-hosting-nl.yaml").read_text(encoding="utf-8"))


def counts() -> dict[str, int]:
    return {label: model._default_manager.count() for label, model in COUNTED}


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every demo record's content, without primary keys and timestamps; relations by reference."""
    taken = {}
    for model in SNAPSHOT_MODELS:
        names = []
        for f in model._meta.concrete_fields:
            if f.primary_key or f.name in ("created_at", "updated_at"):
                continue
            if f.is_relation:
                related = f.related_model
                assert isinstance(related, type)
                names.append(f"{f.name}__external_ref" if hasattr(related, "external_ref") else f.name)
            else:
                names.append(f.name)
        taken[model.__name__] = list(model._default_manager.order_by("pk").values_list(*names))
    return taken


class _Undo(Exception):
    pass


def fill_and_undo(seed: int, operator) -> dict[str, list[tuple[Any, ...]]]:
    """Fill in a transaction, take a snapshot and roll everything back."""
    taken: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with transaction.atomic():
            fill(5, seed=seed, actor=operator, today=DAY)
            taken = snapshot()
            raise _Undo
    except _Undo:
        pass
    return taken


def test_it_fills_every_kind_of_record(dutch_policy, operator) -> None:
    summary = fill(5, seed=1234, actor=operator, today=DAY)

    assert summary.created
    assert summary.counts == counts()
    assert summary.counts["organisations"] == 5
    assert 5 <= summary.counts["people"] <= 20
    for label in ("roles", "services", "service identifiers", "invoices", "invoice lines", "usage records"):
        assert summary.counts[label] > 0, label
    assert summary.counts["disclosures"] >= 5  # one domain at least per customer
    # Every journaled creation has its entry: all but the invoice lines, which their invoice's entry covers.
    journaled = sum(
        n for label, n in summary.counts.items() if label not in ("journal entries", "invoice lines")
    )
    assert summary.counts["journal entries"] == journaled
    assert summary.lines()[0] == "registry: filled with 5 organisations"


def test_each_customer_is_complete(dutch_policy, operator) -> None:
    fill(5, seed=1234, actor=operator, today=DAY)

    for org in Organisation.objects.all():
        assert org.country in ("NL", "BE", "GB")
        assert org.name and org.street and org.postal_code and org.city
        kinds = set(org.roles.values_list("kind", flat=True))
        assert {Role.Kind.OWNER, Role.Kind.BILLING} <= kinds
        assert 1 <= org.roles.values("person").distinct().count() <= 4
        domains = org.services.filter(kind=Service.Kind.DOMAIN)
        assert domains.exists()
        for domain in domains:
            assert domain.label.endswith((".nl", ".be", ".co.uk", ".uk", ".com", ".eu"))
            assert domain.identifiers.filter(kind="domain", value=domain.label).exists()
            assert domain.disclosures.filter(recipient="domain_suppliers").count() == 1
        if org.kind == Organisation.Kind.COMPANY:
            assert org.vat_number.startswith(org.country)
    hosting = Service.objects.filter(kind=Service.Kind.WEB_HOSTING)
    assert hosting.exists()
    for service in hosting:
        kinds = set(service.identifiers.values_list("kind", flat=True))
        assert kinds == {"domain", "ip_address", "ip_network"}
        assert service.identifiers.filter(assigned_from__isnull=False).count() == service.identifiers.count()
    for cert in Service.objects.filter(kind=Service.Kind.SSL_CERTIFICATE):
        assert cert.certificate_type in ("dv", "ov", "ev")
        assert cert.certificate_expires_on is not None
    for invoice in Invoice.objects.all():
        assert invoice.fiscal_year_end == dt.date(invoice.issued_on.year, 12, 31)
        assert invoice.issued_on >= DAY - dt.timedelta(days=2 * 366)
        lines = list(invoice.lines.all())
        assert lines
        total = sum((line.quantity * line.unit_price for line in lines), Decimal(0))
        assert total.quantize(invoice.total) == invoice.total
    assert set(UsageRecord.objects.values_list("metric", flat=True)) >= {"traffic_gb", "storage_gb"}
    assert set(Interaction.objects.values_list("channel", flat=True)) <= {"phone", "email", "letter"}
    assert not Interaction.objects.filter(channel="").exists()


def test_every_disclosure_names_a_recipient_of_the_policy(dutch_policy, operator) -> None:
    fill(5, seed=1234, actor=operator, today=DAY)

    recipients = set(dutch_policy.loaded.policy.recipients)
    used = set(Disclosure.objects.values_list("recipient", flat=True))
    assert "domain_suppliers" in used
    assert used <= recipients
    # OV and EV certificates go to the certificate authority; DV certificates need no disclosure.
    for disclosure in Disclosure.objects.filter(recipient="certificate_authority"):
        assert disclosure.service is not None
        assert disclosure.service.certificate_type in ("ov", "ev")
        assert disclosure.public  # the address is in the certificate


def test_it_is_deterministic_for_a_seed(dutch_policy, operator) -> None:
    first = fill_and_undo(1234, operator)
    assert Organisation.objects.count() == 0
    again = fill_and_undo(1234, operator)
    other = fill_and_undo(99, operator)

    assert first["Organisation"]
    assert first == again
    assert first["Organisation"] != other["Organisation"]


def test_it_fills_only_an_empty_registry(dutch_policy, operator) -> None:
    fill(5, seed=1234, actor=operator, today=DAY)
    before = counts()
    entries = JournalEntry.objects.count()

    summary = fill(5, seed=1234, actor=operator, today=DAY)

    assert summary == FillSummary(created=False, counts=before)
    assert counts() == before
    assert JournalEntry.objects.count() == entries
    assert summary.lines()[0] == "registry: already holds 5 organisations; nothing added"


def test_the_journal_verifies_afterwards(dutch_policy, operator) -> None:
    fill(5, seed=1234, actor=operator, today=DAY)

    result = verify()

    assert result.ok, result.problem
    assert result.checked == JournalEntry.objects.count()


def test_without_a_policy_it_records_no_disclosures(db, operator) -> None:
    summary = fill(2, seed=1234, actor=operator, today=DAY)

    assert summary.counts["organisations"] == 2
    assert summary.counts["disclosures"] == 0
    assert "no policy is in effect" in "\n".join(summary.lines())
