"""Registry service functions: journaled, with history copies, card numbers refused, provenance kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from trustdesk.journal.models import JournalEntry
from trustdesk.journal.verify import verify
from trustdesk.registry.models import Organisation, Person
from trustdesk.registry.services import IntakeError, do_create, do_create_invoice, do_update, do_upsert

pytestmark = pytest.mark.django_db

ANNA = {
    "first_name": "Anna",
    "last_name": "Peeters",
    "email": "anna@example.be",
    "street": "Kerkstraat 1",
    "postal_code": "9000",
    "city": "Gent",
    "country": "BE",
}


def test_it_creates_a_person_and_journals_it_without_personal_data_in_the_core(operator) -> None:
    person = do_create(Person, ANNA, actor=operator)
    entry = JournalEntry.objects.get()
    assert (entry.action, entry.object_type, entry.object_id, entry.actor) == (
        "registry.person.created",
        "registry.person",
        str(person.pk),
        "operator:tester",
    )
    assert entry.payload is not None
    assert entry.payload["changed"]["email"] == [None, "anna@example.be"]
    core = " ".join(
        str(v) for v in (entry.action, entry.actor, entry.object_type, entry.object_id, entry.hash)
    )
    assert "anna" not in core.lower()
    assert verify().ok


def test_it_keeps_the_old_value_in_a_history_copy(operator) -> None:
    person = do_create(Person, ANNA, actor=operator)
    do_update(person, {"email": "anna.peeters@example.be"}, actor=operator, reason="customer asked")
    copies = list(person.history.order_by("history_date").values_list("email", "history_change_reason"))
    assert copies == [("anna@example.be", "created"), ("anna.peeters@example.be", "customer asked")]
    assert JournalEntry.objects.filter(action="registry.person.updated").count() == 1


def test_it_writes_nothing_when_nothing_changes(operator) -> None:
    person = do_create(Person, ANNA, actor=operator)
    do_update(person, {"email": "anna@example.be"}, actor=operator)
    assert JournalEntry.objects.count() == 1
    assert person.history.count() == 1


def test_it_refuses_a_card_number_in_free_text_and_stores_nothing(operator) -> None:
    with pytest.raises(IntakeError) as refused:
        do_create(Person, {**ANNA, "notes": "paid with 4111 1111 1111 1111"}, actor=operator)
    assert refused.value.message_dict == {
        "notes": [
            "contains what looks like a payment card number; card numbers are never stored here. "
            "Remove it (payments go through the payment provider)"
        ]
    }
    assert "4111" not in str(refused.value)
    assert Person.objects.count() == 0
    assert JournalEntry.objects.count() == 0


def test_it_requires_the_name_of_a_third_party_source(operator) -> None:
    with pytest.raises(IntakeError) as refused:
        do_create(Organisation, {"name": "Brouwerij BV", "source_kind": "third_party"}, actor=operator)
    assert refused.value.message_dict == {
        "source_name": ["name the third party or register the data came from"]
    }


def test_it_upserts_by_external_reference(operator) -> None:
    first, created = do_upsert(Organisation, "WHMCS-1", {"name": "Brouwerij BV"}, actor=operator)
    again, created_again = do_upsert(
        Organisation, "WHMCS-1", {"name": "Brouwerij De Gans BV"}, actor=operator
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert Organisation.objects.get().name == "Brouwerij De Gans BV"


def test_it_enforces_the_categories_a_purpose_requires(operator, starter_policy) -> None:
    with pytest.raises(IntakeError) as refused:
        do_create(
            Person,
            {"first_name": "Anna", "email": "anna@example.be"},
            actor=operator,
            purpose="customer_account",
        )
    assert refused.value.message_dict == {
        "street": [
            "purpose 'customer_account' requires user.contact.address: provide street or postal_code or "
            "city or country"
        ]
    }
    person = do_create(Person, ANNA, actor=operator, purpose="customer_account")
    assert person.pk is not None


def test_it_names_an_unknown_purpose(operator, starter_policy) -> None:
    with pytest.raises(IntakeError) as refused:
        do_create(Person, ANNA, actor=operator, purpose="orders")
    assert refused.value.message_dict == {"purpose": ["the policy in effect has no purpose 'orders'"]}


def test_it_creates_an_invoice_with_its_lines(operator) -> None:
    organisation = do_create(Organisation, {"name": "Brouwerij BV"}, actor=operator)
    invoice = do_create_invoice(
        {
            "organisation": organisation,
            "number": "2026-0001",
            "issued_on": dt.date(2026, 3, 1),
            "fiscal_year_end": dt.date(2026, 12, 31),
            "total": Decimal("121.00"),
            "billing_name": "Brouwerij BV",
        },
        [{"description": "Web hosting March", "quantity": Decimal("1"), "unit_price": Decimal("100")}],
        actor=operator,
    )
    assert invoice.lines.count() == 1


def test_a_disclosure_names_its_data_and_keeps_to_the_purposes_naming_the_recipient(
    operator, starter_policy
) -> None:
    from trustdesk.registry.services import do_record_disclosure

    organisation = do_create(Organisation, {"name": "Winkel BV", "kind": "company"}, actor=operator)
    with pytest.raises(IntakeError) as empty:
        do_record_disclosure(organisation, "domain_registry", [], actor=operator)
    assert empty.value.message_dict == {"categories": ["say which data categories were passed on"]}
    # A category below one the purpose lists is covered by it; one beside it is not.
    assert (
        starter_policy.loaded.policy.not_passed_to("domain_registry", ["user.contact.address.street"]) == []
    )
    with pytest.raises(IntakeError, match=r"passes user\.financial to"):
        do_record_disclosure(organisation, "domain_registry", ["user.name", "user.financial"], actor=operator)
    assert not organisation.disclosures.exists()


def test_the_operator_of_the_command_line_is_named_by_a_clean_user_name(monkeypatch) -> None:
    """Every ``trustdesk`` command names its operator the same way; the name goes into the journal's hashed
    core, so nothing but letters, digits and ``_.-`` gets there."""
    import getpass

    from trustdesk.registry.services import Actor

    monkeypatch.setattr(getpass, "getuser", lambda: "root")
    assert Actor.command_line().ref == "operator:root"
    monkeypatch.setattr(getpass, "getuser", lambda: "Jan Peeters\n<script>" + "x" * 200)
    ref = Actor.command_line().ref
    assert ref.startswith("operator:Jan_Peeters__script_") and len(ref) == len("operator:") + 80

    def nobody() -> str:
        raise KeyError("no user name for uid 1234")

    monkeypatch.setattr(getpass, "getuser", nobody)
    assert Actor.command_line().ref == "operator:unknown"
