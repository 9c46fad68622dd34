"""Collect, erase and find one person's data, generically over the data map."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from trustdesk.consent.services import do_give_consent
from trustdesk.journal.models import JournalEntry
from trustdesk.journal.verify import verify
from trustdesk.lib import pseudonyms
from trustdesk.lib.pseudonyms import pseudonymise
from trustdesk.registry import datamap_ops
from trustdesk.registry.datamap_ops import collect, erase, find, reaches
from trustdesk.registry.models import (
    Disclosure,
    Interaction,
    Invoice,
    Organisation,
    Person,
    Service,
    ServiceIdentifier,
    UsageRecord,
)
from trustdesk.registry.services import Actor, do_create, do_create_invoice, do_link_person, do_update

pytestmark = pytest.mark.django_db

STAFF = Actor.operator("privacy-officer")


@dataclass
class World:
    anna: Person
    bob: Person
    private: Organisation
    company: Organisation
    service: Service
    ip: ServiceIdentifier
    domain: ServiceIdentifier
    usage: UsageRecord
    invoice: Invoice
    old_invoice: Invoice
    call: Interaction
    private_letter: Interaction
    company_call: Interaction
    deleted_note_id: int
    company_service: Service


@pytest.fixture(autouse=True)
def keys(settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pseudonyms.ENV_KEY_FILE, raising=False)
    settings.DATA_DIR = tmp_path


@pytest.fixture
def world(publish) -> World:
    """Anna: a private customer on her own and a technical contact of Bob's company."""
    publish()  # tests.conftest.POLICY: 'invoicing' keeps invoices P7Y from the end of the fiscal year
    anna = do_create(
        Person,
        {
            "first_name": "Anna",
            "last_name": "Peeters",
            "email": "anna@example.be",
            "phone": "+32 470 12 34 56",
            "street": "Kerkstraat 1",
            "postal_code": "9000",
            "city": "Gent",
            "country": "BE",
        },
        actor=STAFF,
    )
    anna = do_update(
        anna, {"email": "anna.peeters@example.be"}, actor=STAFF
    )  # a history copy keeps the old one
    bob = do_create(
        Person, {"first_name": "Bob", "last_name": "Jansen", "email": "bob@jansen.example"}, actor=STAFF
    )
    private = do_create(
        Organisation,
        {
            "kind": "private",
            "name": "Anna Peeters",
            "email": "anna@example.be",
            "street": "Kerkstraat 1",
            "city": "Gent",
            "country": "BE",
        },
        actor=STAFF,
    )
    company = do_create(
        Organisation,
        {"kind": "company", "name": "Bakkerij Jansen BV", "email": "info@jansen.example"},
        actor=STAFF,
    )
    do_link_person(private, anna, "owner", actor=STAFF)
    do_link_person(company, anna, "technical", actor=STAFF)
    do_link_person(company, bob, "owner", actor=STAFF)
    do_give_consent(  # POLICY's 'newsletter' rests on consent
        anna, "newsletter", actor=STAFF, channel="email", method="email", text="Yes, send me the newsletter."
    )
    service = do_create(
        Service, {"organisation": private, "kind": "web_hosting", "label": "anna-blog"}, actor=STAFF
    )
    ip = do_create(
        ServiceIdentifier,
        {"service": service, "kind": "ip_address", "value": "::ffff:192.0.2.10"},
        actor=STAFF,
    )
    domain = do_create(
        ServiceIdentifier, {"service": service, "kind": "domain", "value": "annapeeters.example"}, actor=STAFF
    )
    usage = do_create(
        UsageRecord,
        {
            "service": service,
            "metric": "traffic_gb",
            "period_start": dt.date(2025, 1, 1),
            "period_end": dt.date(2025, 1, 31),
            "quantity": Decimal("12.5"),
        },
        actor=STAFF,
    )
    invoice = do_create_invoice(
        {
            "organisation": private,
            "number": "2025-0001",
            "issued_on": dt.date(2025, 2, 1),
            "fiscal_year_end": dt.date(2025, 12, 31),
            "total": Decimal("121.00"),
            "billing_name": "Anna Peeters",
            "billing_address": "Kerkstraat 1, 9000 Gent",
        },
        [{"description": "Hosting January", "quantity": Decimal("1"), "unit_price": Decimal("100")}],
        actor=STAFF,
    )
    old_invoice = do_create(
        Invoice,
        {
            "organisation": private,
            "number": "2010-0001",
            "issued_on": dt.date(2010, 2, 1),
            "fiscal_year_end": dt.date(2010, 12, 31),
            "total": Decimal("10.00"),
            "billing_name": "Anna Peeters",
        },
        actor=STAFF,
    )
    now = timezone.now()
    call = do_create(
        Interaction,
        {
            "person": anna,
            "organisation": company,
            "direction": "in",
            "occurred_at": now,
            "subject": "Anna called about the DNS",
            "channel": "phone",
        },
        actor=STAFF,
    )
    private_letter = do_create(
        Interaction,
        {"organisation": private, "direction": "out", "occurred_at": now, "subject": "Welcome letter"},
        actor=STAFF,
    )
    company_call = do_create(
        Interaction,
        {"organisation": company, "direction": "in", "occurred_at": now, "subject": "Bob on renewal"},
        actor=STAFF,
    )
    note = do_create(
        Interaction,
        {"person": anna, "direction": "in", "occurred_at": now, "summary": "Anna moves to Leuven"},
        actor=STAFF,
    )
    deleted_note_id = note.pk
    note.delete()  # only its history copies remain
    do_create(
        Disclosure,
        {
            "organisation": private,
            "service": service,
            "recipient": "registry",
            "disclosed_at": now,
            "categories": ["user.name"],
            "source_kind": "organisation",
        },
        actor=STAFF,
    )
    company_service = do_create(
        Service, {"organisation": company, "kind": "domain", "label": "jansen"}, actor=STAFF
    )
    do_create(
        ServiceIdentifier,
        {"service": company_service, "kind": "domain", "value": "jansen.example"},
        actor=STAFF,
    )
    # An account for Anna, and her instruction to look at her site's files, with one look recorded.
    from trustdesk.accounts.services import do_create_account, do_record_content_access, do_record_instruction

    do_create_account("anna.peeters@example.be", role="customer", person=anna, actor="operator:test")
    support = do_create_account("support@hoster.example", role="support", actor="operator:test")
    instruction = do_record_instruction(
        organisation=private,
        given_by=anna,
        scope="Look at the files of anna-blog to find the broken plug-in",
        valid_from=now - dt.timedelta(hours=1),
        valid_until=now + dt.timedelta(days=1),
        channel="email",
        recorded_by=support,
    )
    do_record_content_access(instruction, actor=support, what="wp-content/plugins of anna-blog")
    for row in (anna, private):
        row.refresh_from_db()
    return World(
        anna,
        bob,
        private,
        company,
        service,
        ip,
        domain,
        usage,
        invoice,
        old_invoice,
        call,
        private_letter,
        company_call,
        deleted_note_id,
        company_service,
    )


def _pks(data: dict, model_label: str, about: str | None = None) -> set:
    return {r["pk"] for r in data["records"].get(model_label, []) if about is None or r["about"] == about}


# --- collect ----------------------------------------------------------------------------------


def test_it_collects_data_from_every_model_and_every_history_copy(world: World) -> None:
    data = collect(world.anna)
    json.dumps(data)  # serialisable as it is
    for reach in reaches():
        if reach.model._meta.app_label != "registry":
            continue  # other apps' records (requests, consents) are collected in their own tests
        assert reach.label in data["records"], reach.label
        if reach.history is not None:
            assert datamap_ops.label(reach.history) in data["records"], reach.label
    assert "journal.journalentry" in data["records"]
    assert data["organisations"] == sorted([world.private.pk, world.company.pk])


def test_it_marks_the_person_s_own_data_and_the_organisations_data(world: World) -> None:
    data = collect(world.anna)
    assert _pks(data, "registry.person") == {world.anna.pk}  # not Bob
    assert _pks(data, "registry.organisation", "organisation") == {world.private.pk, world.company.pk}
    assert _pks(data, "registry.interaction", "person") == {world.call.pk}
    assert _pks(data, "registry.interaction", "organisation") == {
        world.private_letter.pk,
        world.company_call.pk,
    }
    roles = data["records"]["registry.role"]
    assert {r["fields"]["person"] for r in roles} == {world.anna.pk}  # Bob's role is Bob's
    assert _pks(data, "registry.serviceidentifier", "organisation") >= {world.ip.pk, world.domain.pk}
    person = data["records"]["registry.person"][0]["fields"]
    assert person["email"] == "anna.peeters@example.be"
    assert person["kind"] == "customer_contact"  # context around the personal values


def test_it_collects_old_values_and_deleted_records_from_history_copies(world: World) -> None:
    data = collect(world.anna)
    emails = {r["fields"]["email"] for r in data["records"]["registry.historicalperson"]}
    assert {"anna@example.be", "anna.peeters@example.be"} <= emails
    summaries = {r["fields"]["summary"] for r in data["records"]["registry.historicalinteraction"]}
    assert "Anna moves to Leuven" in summaries
    assert "history_user" in data["records"]["registry.historicalperson"][0]["fields"]


def test_it_collects_journal_payloads_about_the_records(world: World) -> None:
    data = collect(world.anna)
    entries = data["records"]["journal.journalentry"]
    about_anna = [e for e in entries if e["object_type"] == "registry.person"]
    assert {e["object_id"] for e in about_anna} == {str(world.anna.pk)}
    changed = [e["payload"]["changed"]["email"] for e in about_anna if e["payload"]]
    assert [None, "anna@example.be"] in changed
    deleted_note = [
        e
        for e in entries
        if e["object_type"] == "registry.interaction" and e["object_id"] == str(world.deleted_note_id)
    ]
    assert deleted_note and deleted_note[0]["about"] == "person"
    assert not any(
        e["object_id"] == str(world.bob.pk) and e["object_type"] == "registry.person" for e in entries
    )


# --- erase ------------------------------------------------------------------------------------


def test_it_erases_per_each_field_s_action(world: World) -> None:
    report = erase(world.anna, actor=STAFF)
    anna = Person.objects.get(pk=world.anna.pk)
    # PSEUDONYMISE: a keyed pseudonym of the canonical value
    assert anna.email == pseudonymise("anna.peeters@example.be", kind="email")
    assert anna.first_name.startswith("p1:")
    # CLEAR
    assert (anna.phone, anna.street, anna.city, anna.country) == ("", "", "", "")
    # DELETE_ROW: her calls go, also the private organisation's letter; the company's call stays
    assert not Interaction.objects.filter(pk__in=[world.call.pk, world.private_letter.pk]).exists()
    assert Interaction.objects.filter(pk=world.company_call.pk, subject="Bob on renewal").exists()
    # An IP address is canonicalised first: the IPv4-mapped form gives the IPv4 pseudonym.
    assert ServiceIdentifier.objects.get(pk=world.ip.pk).value == pseudonymise("192.0.2.10", kind="ip")
    assert (
        report.total("deleted") >= 2 and report.total("pseudonymised") >= 5 and report.total("cleared") >= 5
    )


def test_it_keeps_held_values_and_reports_the_hold(world: World) -> None:
    report = erase(world.anna, actor=STAFF)
    invoice = Invoice.objects.get(pk=world.invoice.pk)
    assert (invoice.billing_name, invoice.billing_address) == ("Anna Peeters", "Kerkstraat 1, 9000 Gent")
    held = {(h.model, h.pk, h.field): h for h in report.held}
    name = held[("registry.invoice", world.invoice.pk, "billing_name")]
    assert (name.purpose, name.until) == ("invoicing", dt.date(2032, 12, 31))  # fiscal year end + P7Y
    usage = held[("registry.usagerecord", world.usage.pk, "quantity")]
    assert usage.until is None
    assert "until the end of the retention of purpose 'invoicing'" in usage.note
    assert UsageRecord.objects.get(pk=world.usage.pk).quantity == Decimal("12.5")
    # A hold that ended long ago keeps nothing.
    assert Invoice.objects.get(pk=world.old_invoice.pk).billing_name == ""
    assert ("registry.invoice", world.old_invoice.pk, "billing_name") not in held


def test_it_takes_the_hold_s_end_from_the_caller_when_given(world: World) -> None:
    report = erase(world.anna, actor=STAFF, holds={"invoicing": dt.date(2040, 1, 1)})
    assert {h.until for h in report.held if h.model == "registry.invoice"} == {dt.date(2040, 1, 1)}
    assert Invoice.objects.get(pk=world.old_invoice.pk).billing_name == "Anna Peeters"


def test_it_erases_a_private_organisation_but_only_her_records_of_a_company(world: World) -> None:
    report = erase(world.anna, actor=STAFF)
    private = Organisation.objects.get(pk=world.private.pk)
    company = Organisation.objects.get(pk=world.company.pk)
    assert private.name.startswith("p1:") and private.street == ""
    assert (company.name, company.email) == ("Bakkerij Jansen BV", "info@jansen.example")
    assert Service.objects.get(pk=world.company_service.pk).label == "jansen"
    assert Person.objects.get(pk=world.bob.pk).email == "bob@jansen.example"
    assert report.organisations_erased == [world.private.pk]
    assert set(report.organisations_kept) == {world.company.pk}


def test_it_keeps_a_private_organisation_another_person_belongs_to(world: World) -> None:
    do_link_person(world.private, world.bob, "billing", actor=STAFF)
    report = erase(world.anna, actor=STAFF)
    assert Organisation.objects.get(pk=world.private.pk).name == "Anna Peeters"
    assert report.organisations_erased == []


def test_it_erases_history_copies_the_same_way(world: World) -> None:
    erase(world.anna, actor=STAFF)
    copies = Person.history.model.objects.filter(id=world.anna.pk)
    assert copies.count() >= 3
    assert not copies.filter(email__contains="@").exists()
    assert not copies.filter(phone__gt="").exists()
    # Who made each earlier change is cleared with the rest; the copy of the erased state names who erased.
    newest = copies.order_by("-history_date", "-history_id").first()
    assert newest is not None and (newest.history_change_reason, newest.history_actor) == (
        "erased",
        STAFF.ref,
    )
    assert set(copies.exclude(pk=newest.pk).values_list("history_actor", flat=True)) == {""}
    assert not Interaction.history.model.objects.filter(
        id__in=[world.call.pk, world.deleted_note_id]
    ).exists()
    invoice_copies = Invoice.history.model.objects.filter(id=world.invoice.pk)
    assert set(invoice_copies.values_list("billing_name", flat=True)) == {"Anna Peeters"}  # held


def test_it_writes_no_copy_of_a_deletion_whose_copies_it_erases(world: World) -> None:
    from simple_history.signals import pre_create_historical_record

    written: list[tuple[object, str]] = []

    def note(sender: object, history_instance: Any, **kwargs: object) -> None:
        if isinstance(history_instance, Interaction.history.model):
            written.append((history_instance.id, history_instance.history_type))

    pre_create_historical_record.connect(note)
    try:
        erase(world.anna, actor=STAFF)
    finally:
        pre_create_historical_record.disconnect(note)
    assert not Interaction.objects.filter(pk=world.call.pk).exists()
    assert (world.call.pk, "-") not in written  # deleted with every copy of it: no copy of the deletion
    assert not Interaction.history.model.objects.filter(id=world.call.pk).exists()


def test_it_erases_journal_payloads_and_the_journal_still_verifies(world: World) -> None:
    report = erase(world.anna, actor=STAFF)
    about_anna = JournalEntry.objects.filter(object_type="registry.person", object_id=str(world.anna.pk))
    assert not about_anna.exclude(action="registry.person.erased").filter(payload__isnull=False).exists()
    assert JournalEntry.objects.get(object_type="registry.person", object_id=str(world.bob.pk)).payload
    assert report.journal_payloads_erased > 0
    entry = JournalEntry.objects.get(seq=report.journal_seq)
    assert (entry.action, entry.object_id, entry.actor) == (
        "registry.person.erased",
        str(world.anna.pk),
        "operator:privacy-officer",
    )
    text = json.dumps(entry.payload)
    assert "anna" not in text.lower() and "registry.person" in text  # counts only
    result = verify()
    assert result.ok, result.problem


def test_it_leaves_only_held_values_behind(world: World) -> None:
    erase(world.anna, actor=STAFF)
    data = collect(world.anna)
    for model_label, rows in data["records"].items():
        text = json.dumps(rows)
        if model_label in ("registry.invoice", "registry.historicalinvoice"):
            continue
        for value in (
            "anna@example.be",
            "anna.peeters@example.be",
            "Kerkstraat",
            "+32 470",
            "192.0.2.10",
            "annapeeters.example",
            "Anna moves",
            "DNS",
        ):
            assert value not in text, (model_label, value)


def test_it_can_be_run_again_without_changing_anything_more(world: World) -> None:
    erase(world.anna, actor=STAFF)
    first = Person.objects.get(pk=world.anna.pk).email
    again = erase(world.anna, actor=STAFF)
    assert Person.objects.get(pk=world.anna.pk).email == first
    assert again.total("pseudonymised") == 0 and again.total("deleted") == 0
    assert verify().ok


def test_it_changes_nothing_when_the_erasure_fails(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("journal unavailable")

    monkeypatch.setattr("trustdesk.journal.services.erase_payloads", broken)
    with pytest.raises(RuntimeError):
        erase(world.anna, actor=STAFF)
    assert Person.objects.get(pk=world.anna.pk).email == "anna.peeters@example.be"
    assert Interaction.objects.filter(pk=world.call.pk).exists()


# --- find -------------------------------------------------------------------------------------


def test_it_finds_records_by_category_and_sub_category(world: World) -> None:
    emails = set(find("user.contact.email"))
    assert ("registry.person", world.anna.pk, "email") in emails
    assert ("registry.organisation", world.company.pk, "email") in emails
    assert not any(found[2] == "phone" for found in emails)
    contact = set(find("user.contact"))
    assert ("registry.person", world.anna.pk, "phone") in contact
    assert ("registry.person", world.bob.pk, "phone") not in contact  # empty: holds nothing
    assert {f for f in contact if f[0] == "registry.historicalperson"}


def test_it_finds_records_by_date(world: World) -> None:
    long_ago = timezone.now() - dt.timedelta(days=400)
    Person.objects.filter(pk=world.bob.pk).update(updated_at=long_ago)
    cutoff = timezone.now() - dt.timedelta(days=30)
    old = {(m, pk) for m, pk, _ in find("user.contact.email", before=cutoff) if m == "registry.person"}
    recent = {(m, pk) for m, pk, _ in find("user.contact.email", after=cutoff) if m == "registry.person"}
    assert old == {("registry.person", world.bob.pk)}
    assert recent == {("registry.person", world.anna.pk)}
    created = {
        pk
        for m, pk, _ in find("user.contact.email", before=cutoff, on="created_at")
        if m == "registry.person"
    }
    assert created == set()


# --- the live records, with queries compiled once ------------------------------------------------


def _built_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        datamap_ops.prepared, "values_of", lambda model, key, build, ids: list(build(list(ids)))
    )


def test_it_reads_the_same_live_records_with_its_compiled_queries_as_built_every_time(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = {person.pk: datamap_ops.live_records(person) for person in (world.anna, world.bob)}
    again = {person.pk: datamap_ops.live_records(person) for person in (world.anna, world.bob)}
    _built_every_time(monkeypatch)
    built = {person.pk: datamap_ops.live_records(person) for person in (world.anna, world.bob)}
    assert compiled == again == built
    # Every live query was compiled and kept; none fell back to being built on every call.
    labels = {reach.label for reach in reaches()}
    kept = [
        entry
        for slot, entry in datamap_ops.prepared._compiled[connections["default"]].items()
        if isinstance(slot, tuple) and isinstance(slot[0], tuple) and slot[0][0] in labels
    ]
    assert kept and all(entry is not None for entry in kept)
    assert compiled[world.anna.pk] != compiled[world.bob.pk]
    assert {"registry.invoice", "registry.serviceidentifier", "consent.consentevent"} <= set(
        compiled[world.anna.pk]
    )


def test_it_reads_the_live_records_as_they_are_after_every_change(world: World) -> None:
    datamap_ops.live_records(world.anna)  # its queries compiled
    do_update(world.anna, {"city": "Brugge"}, actor=STAFF)
    do_update(world.company, {"email": "post@jansen.example"}, actor=STAFF)
    records = datamap_ops.live_records(world.anna)
    [anna] = records["registry.person"]
    assert anna["fields"]["city"] == "Brugge"
    assert "post@jansen.example" in {r["fields"]["email"] for r in records["registry.organisation"]}
    do_link_person(
        do_create(Organisation, {"kind": "company", "name": "Derde BV"}, actor=STAFF),
        world.anna,
        "user",
        actor=STAFF,
    )
    names = {r["fields"]["name"] for r in datamap_ops.live_records(world.anna)["registry.organisation"]}
    assert names == {"Anna Peeters", "Bakkerij Jansen BV", "Derde BV"}  # three organisations: another query
