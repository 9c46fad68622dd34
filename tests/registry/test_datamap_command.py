"""``trustdesk datamap`` and ``trustdesk policy lint FILE --against-datamap``."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import POLICY
from trustdesk.lib.datamap import Entry, Erasure, personal_fields
from trustdesk.policy.datamap_check import check_against_datamap
from trustdesk.policy.loader import load_file


def _run(*args: str) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command(*args, stdout=out, stderr=StringIO())
    except SystemExit as exc:
        return out.getvalue(), int(exc.code or 0)
    return out.getvalue(), 0


def test_it_prints_every_personal_field_with_category_and_erasure() -> None:
    text, status = _run("datamap")
    assert status == 0
    lines = text.splitlines()
    assert lines[0].split() == ["MODEL", "FIELD", "CATEGORY", "ERASURE"]
    assert any(
        line.split()[:4] == ["registry.person", "email", "user.contact.email", "pseudonymise"]
        for line in lines
    )
    assert any(
        line.split()
        == ["registry.invoice", "billing_name", "user.name", "hold", "(end_of_fiscal_year_of_invoice)"]
        for line in lines
    )
    secret = "mfa.authenticator data user.authorization.credentials delete_row [secret: held, never shown]"
    assert any(line.split() == secret.split() for line in lines)
    fields = {(e.model, e.field) for e in personal_fields()}
    assert lines[-1].startswith(f"{len(fields)} personal fields in ")


def test_it_prints_the_map_as_json() -> None:
    text, _ = _run("datamap", "--json")
    rows = json.loads(text)
    assert {
        "model": "registry.invoice",
        "field": "billing_name",
        "category": "user.name",
        "erasure": "hold",
        "hold": "end_of_fiscal_year_of_invoice",
        "secret": False,
    } in rows
    assert {
        "model": "registry.historicalperson",
        "field": "email",
        "category": "user.contact.email",
        "erasure": "pseudonymise",
        "hold": "",
        "secret": False,
    } in rows
    assert {
        "model": "admin.logentry",
        "field": "object_repr",
        "category": "user.content",
        "erasure": "clear",
        "hold": "",
        "secret": False,
    } in rows
    assert {
        "model": "auth.user",
        "field": "password",
        "category": "user.authorization.password",
        "erasure": "clear",
        "hold": "",
        "secret": True,
    } in rows
    assert len(rows) == len(list(personal_fields()))


def _entry(model: str, field: str, category: str, erasure: Erasure = Erasure.CLEAR, hold: str = "") -> Entry:
    return Entry(model, field, category, erasure, hold)


@pytest.fixture
def loaded(tmp_path: Path):
    def _load(text: str = POLICY):
        path = tmp_path / "policy.yaml"
        path.write_text(text, encoding="utf-8")
        return load_file(path)

    return _load


def test_it_finds_nothing_when_policy_and_map_agree(loaded) -> None:
    entries = [
        _entry("registry.person", "email", "user.contact.email", Erasure.PSEUDONYMISE),
        _entry("registry.person", "street", "user.contact.address.street"),
        _entry(
            "registry.invoice", "billing_name", "user.name", Erasure.HOLD, "end_of_fiscal_year_of_invoice"
        ),
    ]
    assert check_against_datamap(loaded(), entries) == []


def test_it_reports_a_stored_category_no_purpose_covers(loaded) -> None:
    entries = [
        _entry("registry.person", "email", "user.contact.email", Erasure.PSEUDONYMISE),
        _entry("registry.person", "job_title", "user.job_title"),
        _entry("registry.person", "street", "user.contact.address.street"),
        _entry(
            "registry.invoice", "billing_name", "user.name", Erasure.HOLD, "end_of_fiscal_year_of_invoice"
        ),
    ]
    findings = check_against_datamap(loaded(), entries)
    assert [(f.code, f.severity.value, f.key) for f in findings] == [("TD190", "error", "purposes")]
    assert "user.job_title (registry.person.job_title)" in findings[0].message
    assert findings[0].line is not None


def test_it_matches_categories_hierarchically(loaded) -> None:
    broad = POLICY.replace("data_categories: [user.contact.email]\n", "data_categories: [user.contact]\n")
    entries = [
        _entry("registry.person", "phone", "user.contact.phone_number"),
        _entry("registry.person", "street", "user.contact.address.street"),
        _entry(
            "registry.invoice", "billing_name", "user.name", Erasure.HOLD, "end_of_fiscal_year_of_invoice"
        ),
    ]
    # user.contact covers the phone number; user.contact.address covers the street.
    codes = [f.code for f in check_against_datamap(loaded(broad), entries)]
    assert "TD190" not in codes
    # Only the address under a stricter policy is not enough for the phone number.
    assert [f.code for f in check_against_datamap(loaded(), entries)].count("TD190") == 1


def test_it_reports_a_purpose_whose_categories_are_never_stored(loaded) -> None:
    entries = [
        _entry("registry.person", "email", "user.contact.email", Erasure.PSEUDONYMISE),
        _entry(
            "registry.invoice", "billing_name", "user.name", Erasure.HOLD, "end_of_fiscal_year_of_invoice"
        ),
    ]
    findings = check_against_datamap(loaded(), entries)
    assert [(f.code, f.severity.value, f.key) for f in findings] == [
        ("TD191", "info", "purposes.invoicing.data_categories")
    ]
    assert "user.contact.address" in findings[0].message


def test_it_reports_a_hold_on_a_purpose_the_policy_lacks(loaded) -> None:
    entries = [
        _entry("registry.person", "email", "user.contact.email", Erasure.PSEUDONYMISE),
        _entry("registry.person", "street", "user.contact.address"),
        _entry("registry.invoice", "billing_name", "user.name", Erasure.HOLD, "certificate_expiry"),
    ]
    findings = check_against_datamap(loaded(), entries)
    assert [(f.code, f.severity.value) for f in findings] == [("TD192", "warning")]
    assert "under a legal hold running from certificate_expiry, but no purpose" in findings[0].message


def test_it_adds_the_checks_to_the_command_only_when_asked(policy_file: Path) -> None:
    text, _ = _run("policy", "lint", str(policy_file), "--json")
    assert not {f["code"] for f in json.loads(text)} & {"TD190", "TD191", "TD192"}
    text, status = _run("policy", "lint", str(policy_file), "--json", "--against-datamap")
    codes = {f["code"] for f in json.loads(text)}
    assert "TD190" in codes  # the software stores more than this short policy covers
    assert "TD192" not in codes  # the invoices' hold: the policy's 'invoicing' on legal_obligation
    assert status == 1
    text, status = _run("policy", "lint", str(policy_file), "--against-datamap")
    assert "error TD190" in text and status == 1


STAFF_PURPOSE = """\
  staff_accounts:
    name: {en: Our staff's accounts, nl: Accounts van onze medewerkers}
    data_use: essential.service.authentication
    legal_basis: contract
    data_subjects: [employee]
    data_categories: [user.authorization]
"""


def test_it_reports_what_only_a_purpose_for_staff_covers_of_the_customers_data(loaded) -> None:
    """A customer's password hash is covered by a purpose for staff's accounts alone: the statement then
    names no purpose for it as far as customers are concerned (TD193); staff's own is fine (not about the
    registry's people)."""
    staff = POLICY.replace("rights:\n", STAFF_PURPOSE + "rights:\n", 1)
    customers = staff.replace("data_subjects: [employee]", "data_subjects: [employee, customer]")
    entries = [
        _entry("registry.person", "email", "user.contact.email", Erasure.PSEUDONYMISE),
        _entry(
            "registry.invoice", "billing_name", "user.name", Erasure.HOLD, "end_of_fiscal_year_of_invoice"
        ),
        _entry("registry.person", "street", "user.contact.address.street"),
        _entry("auth.user", "password", "user.authorization.password"),
    ]
    findings = check_against_datamap(loaded(staff), entries, about_people=["registry.person", "auth.user"])
    assert [(f.code, f.severity.value, f.key) for f in findings] == [
        ("TD193", "error", "purposes.staff_accounts.data_subjects")
    ]
    assert "user.authorization.password about customers (auth.user.password)" in findings[0].message
    assert "staff_accounts" in findings[0].message and findings[0].line is not None
    assert check_against_datamap(loaded(staff), entries, about_people=["registry.person"]) == []
    assert (
        check_against_datamap(loaded(customers), entries, about_people=["registry.person", "auth.user"]) == []
    )


def test_the_software_keeps_a_customers_account_about_its_person() -> None:
    """The default: the models the data map reaches from a person, a customer's account among them."""
    from trustdesk.registry.datamap_ops import reaches

    labels = {reach.label for reach in reaches()}
    assert {"auth.user", "accounts.loginlock", "mfa.authenticator", "usersessions.usersession"} <= labels
    assert "api.apitoken" not in labels  # staff's
