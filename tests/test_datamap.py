"""Every field of every model is declared personal (with its category and erasure) or not personal."""

from __future__ import annotations

import pytest

from trustdesk.lib.datamap import EXTERNAL, Erasure, Field, ModelMap, model_map, personal_fields, undeclared
from trustdesk.policy.taxonomy import fideslang_terms


def test_it_declares_every_field_of_every_model() -> None:
    assert undeclared() == []


def test_it_uses_only_known_data_categories() -> None:
    known = set(fideslang_terms("data_categories"))
    assert sorted({e.category for e in personal_fields()} - known) == []


def test_it_gives_history_copies_the_map_of_their_model() -> None:
    from trustdesk.registry.models import Person

    copy = model_map(Person.history.model)
    assert copy is not None
    assert copy.personal["email"] == Person.data_map.personal["email"]
    assert "history_user" in copy.personal


def test_it_refuses_a_field_declared_both_ways() -> None:
    with pytest.raises(ValueError, match="declared both personal and not personal: email"):
        ModelMap(personal={"email": Field("user.contact.email", Erasure.CLEAR)}, not_personal=("email",))


def test_it_refuses_a_hold_without_its_purpose() -> None:
    with pytest.raises(ValueError, match="a legal hold names the retention event"):
        Field("user.name", Erasure.HOLD)


def test_it_declares_the_models_of_other_apps_in_one_place() -> None:
    assert "auth.user" in EXTERNAL
    assert EXTERNAL["auth.user"].personal["password"].erasure is Erasure.CLEAR


def test_it_finds_the_purpose_that_keeps_a_legal_hold_whatever_its_name() -> None:
    from tests.conftest import EXAMPLES
    from trustdesk.policy.loader import load_file

    dutch = load_file(EXAMPLES / "dutch-hosting-nl.yaml").policy
    found = dutch.legal_hold("end_of_fiscal_year_of_invoice")
    assert found is not None
    assert found[0] == "bookkeeping"
    assert dutch.legal_hold("certificate_expiry") is None  # a purpose on contract is no legal hold


def test_it_lists_what_the_journal_payload_copies_rather_than_the_whole_tree() -> None:
    from django.apps import apps

    from trustdesk.journal.models import PAYLOAD_COPIES, JournalEntry
    from trustdesk.lib.datamap import history_base

    payload = JournalEntry.data_map.personal["payload"]
    assert payload.categories == PAYLOAD_COPIES
    assert "user" not in {e.category for e in personal_fields() if e.model == "journal.journalentry"}
    # The registry journals the old and new values of every personal field it changes.
    registry = {
        declared.category
        for model in apps.get_app_config("registry").get_models()
        if history_base(model) is None and (mapping := model_map(model)) is not None
        for declared in mapping.personal.values()
    }
    assert sorted(registry - set(PAYLOAD_COPIES)) == []
    # A log-in's journal entry keeps the address and browser it came from.
    assert {"user.device", "user.device.ip_address"} <= set(PAYLOAD_COPIES)


def test_it_refuses_copies_outside_the_fields_category() -> None:
    with pytest.raises(ValueError, match=r"copied categories outside user\.contact: user\.name"):
        Field("user.contact", Erasure.CLEAR, copies=("user.contact.email", "user.name"))
