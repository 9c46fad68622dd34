"""``trustdesk import``: upsert by external_ref, rejects with row, field and reason, broken files refused."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from trustdesk.journal.models import JournalEntry
from trustdesk.lib.cards import CARD_MESSAGE
from trustdesk.registry.models import (
    Invoice,
    InvoiceLine,
    Organisation,
    Person,
    Role,
    Service,
    ServiceIdentifier,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "import"
ORG_HEADER = "external_ref,kind,name,street,postal_code,city,country,email,notes\n"
ORG_ROW = "C-{n},company,Company {n},Street {n},9000,Gent,BE,info{n}@example.com,\n"

pytestmark = pytest.mark.django_db


def run(*args: Any, expect: int = 0) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    code: Any = 0
    try:
        call_command("import", *[str(arg) for arg in args], stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    assert code == expect, (code, out.getvalue(), err.getvalue())
    return out.getvalue(), err.getvalue()


def run_json(*args: Any, expect: int = 0) -> dict[str, Any]:
    out, _ = run(*args, "--json", expect=expect)
    return json.loads(out)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def orgs_csv(tmp_path: Path, *rows: str, header: str = ORG_HEADER, name: str = "orgs.csv") -> Path:
    return write(tmp_path / name, header + "".join(rows))


def rejects(result: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(r["row"], r["field"], r["reason"]) for r in result["rejects"]]


def import_all(fmt: str) -> None:
    for kind in ("organisations", "people", "services", "invoices"):
        run(kind, EXAMPLES / f"{kind}.{fmt}")


# --- each kind, CSV and JSON --------------------------------------------------------------------


def test_it_imports_organisations_csv():
    result = run_json("organisations", EXAMPLES / "organisations.csv")
    assert result["created"] == 3 and result["rejected"] == 0
    org = Organisation.objects.get(external_ref="C-1001")
    assert (org.name, org.country, org.city, org.channel, org.source_kind) == (
        "Bakkerij De Graanschuur BV",
        "BE",
        "Gent",
        "import",
        "data_subject",
    )
    assert Organisation.objects.get(external_ref="C-1002").kind == "private"
    assert JournalEntry.objects.filter(action="registry.organisation.created").count() == 3
    assert org.history.count() == 1


def test_it_imports_organisations_json():
    result = run_json("organisations", EXAMPLES / "organisations.json")
    assert result["created"] == 3
    anna = Organisation.objects.get(external_ref="C-1002")
    assert (anna.channel, anna.postal_code) == ("portal", "1017 GC")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_it_imports_people_with_roles(fmt):
    run("organisations", EXAMPLES / "organisations.csv")
    result = run_json("people", EXAMPLES / f"people.{fmt}")
    assert result["rejected"] == 0
    pieter = Person.objects.get(external_ref="P-2001")
    assert (pieter.first_name, pieter.language) == ("Pieter", "nl-BE")
    kinds = set(Role.objects.filter(person=pieter).values_list("kind", flat=True))
    assert kinds == {"owner", "billing"}
    assert Role.objects.filter(person=pieter).first().organisation.external_ref == "C-1001"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_it_imports_services_with_identifiers(fmt):
    run("organisations", EXAMPLES / "organisations.csv")
    result = run_json("services", EXAMPLES / f"services.{fmt}")
    assert result["rejected"] == 0
    vps = Service.objects.get(external_ref="S-3003")
    idents = {(i.kind, i.value) for i in vps.identifiers.all()}
    assert idents == {
        ("ip_address", "198.51.100.7"),
        ("ip_address", "2001:db8::7"),
        ("ip_network", "203.0.113.0/28"),
    }
    assert vps.identifiers.first().assigned_from.isoformat() == "2024-06-15T08:30:00+00:00"
    hosting = Service.objects.get(external_ref="S-3001")
    assert sorted(hosting.identifiers.filter(kind="domain").values_list("value", flat=True)) == [
        "graanschuur.example",
        "www.graanschuur.example",
    ]
    # Assigned from the service's start when the file gives no assigned_from.
    assert hosting.identifiers.first().assigned_from.date().isoformat() == "2023-01-01"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_it_imports_invoices_with_lines(fmt):
    run("organisations", EXAMPLES / "organisations.csv")
    run("services", EXAMPLES / "services.csv")
    result = run_json("invoices", EXAMPLES / f"invoices.{fmt}")
    assert result["rejected"] == 0
    invoice = Invoice.objects.get(external_ref="I-4001")
    assert (invoice.number, invoice.total, invoice.billing_address) == (
        "2024-0001",
        Decimal("181.50"),
        "Veldstraat 12\n9000 Gent",
    )
    lines = list(
        invoice.lines.order_by("id").values_list("description", "unit_price", "service__external_ref")
    )
    assert lines == [
        ("Webhosting Pro January", Decimal("120.0000"), "S-3001"),
        ("SSL certificate", Decimal("30.0000"), "S-3002"),
    ]


# --- idempotence --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_it_changes_nothing_on_a_second_run(fmt):
    import_all(fmt)
    entries = JournalEntry.objects.count()
    history = Organisation.history.count() + Person.history.count() + Service.history.count()
    for kind in ("organisations", "people", "services", "invoices"):
        result = run_json(kind, EXAMPLES / f"{kind}.{fmt}")
        assert (result["created"], result["updated"], result["rejected"]) == (0, 0, 0), kind
        assert result["unchanged"] == result["rows"]
    assert JournalEntry.objects.count() == entries
    assert Organisation.history.count() + Person.history.count() + Service.history.count() == history


def test_it_updates_a_changed_row_with_one_journal_entry(tmp_path):
    run("organisations", orgs_csv(tmp_path, ORG_ROW.format(n=1), ORG_ROW.format(n=2)))
    entries = JournalEntry.objects.count()
    changed = ORG_ROW.format(n=2).replace("info2@", "billing2@")
    result = run_json("organisations", orgs_csv(tmp_path, ORG_ROW.format(n=1), changed))
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 1, 1)
    assert Organisation.objects.get(external_ref="C-2").email == "billing2@example.com"
    entry = JournalEntry.objects.order_by("seq").last()
    assert JournalEntry.objects.count() == entries + 1
    assert entry is not None and entry.action == "registry.organisation.updated"


def test_it_ends_identifiers_the_file_no_longer_lists(tmp_path):
    run("organisations", EXAMPLES / "organisations.csv")
    header = "external_ref,organisation_ref,kind,domains\n"
    run("services", write(tmp_path / "s.csv", header + "S-1,C-1001,domain,a.example b.example\n"))
    result = run_json(
        "services", write(tmp_path / "s.csv", header + "S-1,C-1001,domain,b.example c.example\n")
    )
    assert result["updated"] == 1
    open_now = ServiceIdentifier.objects.filter(assigned_until__isnull=True).values_list("value", flat=True)
    assert sorted(open_now) == ["b.example", "c.example"]
    assert ServiceIdentifier.objects.get(value="a.example").assigned_until is not None


def test_it_refuses_to_change_the_lines_of_a_stored_invoice(tmp_path):
    run("organisations", EXAMPLES / "organisations.csv")
    run("services", EXAMPLES / "services.csv")
    run("invoices", EXAMPLES / "invoices.csv")
    text = (
        (EXAMPLES / "invoices.csv")
        .read_text(encoding="utf-8")
        .replace("SSL certificate,1,30.00", "SSL,1,35.00")
    )
    result = run_json("invoices", write(tmp_path / "i.csv", text), expect=1)
    assert rejects(result) == [
        (
            2,
            "lines",
            "differ from the stored invoice's lines; an invoice's lines are not changed by an import "
            "(issue a credit note)",
        )
    ]
    assert InvoiceLine.objects.filter(description="SSL").count() == 0


def test_it_rejects_an_invoice_whose_next_line_disagrees(tmp_path):
    run("organisations", EXAMPLES / "organisations.csv")
    text = (
        "external_ref,organisation_ref,number,issued_on,fiscal_year_end,total,billing_name,line_description,line_unit_price\n"
        "I-1,C-1001,N-1,2024-01-31,2024-12-31,10.00,Bakkerij,Hosting,5.00\n"
        "I-1,C-1002,,,,,,Mail,5.00\n"
        "I-2,C-1001,N-2,2024-01-31,2024-12-31,10.00,Bakkerij,Hosting,10.00\n"
    )
    result = run_json("invoices", write(tmp_path / "i.csv", text), expect=1)
    assert rejects(result) == [(3, "organisation_ref", "differs from line 2, where this invoice starts")]
    assert list(Invoice.objects.values_list("external_ref", flat=True)) == ["I-2"]
    assert InvoiceLine.objects.count() == 1


# --- bad rows -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        (
            "C-9,company,Company 9,Street 9,9000,Gent,BE,info9@,\n",
            "email",
            "is not a valid e-mail address",
        ),
        (
            "C-9,company,Company 9,Street 9,9000,Gent,BE,info9@example.com,Card 4111 1111 1111 1111 thanks\n",
            "notes",
            CARD_MESSAGE,
        ),
        (
            "C-9,company,Company 9,Street 9,9000,Gent,XX,info9@example.com,\n",
            "country",
            "is not an ISO 3166-1 country code such as BE or NL",
        ),
        (
            "C-9,corporation,Company 9,Street 9,9000,Gent,BE,info9@example.com,\n",
            "kind",
            "must be one of: company, private",
        ),
        (
            "C-9,company,,Street 9,9000,Gent,BE,info9@example.com,\n",
            "name",
            "is required",
        ),
    ],
)
def test_it_rejects_a_bad_organisation_row_and_keeps_the_others(tmp_path, row, field, reason):
    path = orgs_csv(tmp_path, ORG_ROW.format(n=1), row, ORG_ROW.format(n=2))
    result = run_json("organisations", path, expect=1)
    assert rejects(result) == [(3, field, reason)]
    assert (result["created"], result["rejected"]) == (2, 1)
    assert sorted(Organisation.objects.values_list("external_ref", flat=True)) == ["C-1", "C-2"]
    assert "4111" not in json.dumps(result) and "info9@" not in json.dumps(result)


def test_it_rejects_a_bad_date_and_an_unknown_organisation(tmp_path):
    run("organisations", EXAMPLES / "organisations.csv")
    text = (
        "external_ref,organisation_ref,kind,starts_on\n"
        "S-1,C-1001,vps,2024-13-01\n"
        "S-2,C-9999,vps,2024-01-01\n"
        "S-3,C-1001,vps,01/02/2024\n"
        "S-4,C-1001,vps,2024-02-01\n"
    )
    result = run_json("services", write(tmp_path / "s.csv", text), expect=1)
    assert rejects(result) == [
        (2, "starts_on", "is not a real date (YYYY-MM-DD)"),
        (3, "organisation_ref", "no organisation has this reference: import the organisations first"),
        (4, "starts_on", "is not a date in the form YYYY-MM-DD"),
    ]
    assert list(Service.objects.values_list("external_ref", flat=True)) == ["S-4"]


def test_it_reports_every_problem_of_a_row(tmp_path):
    row = "C-9,company,Company 9,Street 9,9000,Gent,Belgium,not-an-email,\n"
    result = run_json("organisations", orgs_csv(tmp_path, row), expect=1)
    assert rejects(result) == [
        (2, "country", "is not an ISO 3166-1 country code such as BE or NL"),
        (2, "email", "is not a valid e-mail address"),
    ]
    assert result["rejected"] == 1


def test_it_rejects_a_row_that_fails_the_purpose_whole(tmp_path, starter_policy):
    text = "external_ref,first_name,last_name,email,organisation_ref,role\nP-1,Jan,Peeters,,C-1,owner\n"
    run("organisations", orgs_csv(tmp_path, ORG_ROW.format(n=1)))
    purpose = next(
        key
        for key, p in starter_policy.loaded.policy.purposes.items()
        if "user.contact.email" in p.required_categories
    )
    result = run_json("people", write(tmp_path / "p.csv", text), "--purpose", purpose, expect=1)
    assert ("email", f"purpose '{purpose}' requires user.contact.email: provide email") in [
        r[1:] for r in rejects(result)
    ]
    assert result["rejected"] == 1
    assert not Person.objects.exists() and not Role.objects.exists()


def test_it_refuses_an_unknown_purpose(tmp_path, starter_policy):
    result = run_json("organisations", orgs_csv(tmp_path, ORG_ROW.format(n=1)), "--purpose", "nope", expect=2)
    assert result["refused"] == "--purpose: the policy in effect has no purpose 'nope'"


def test_it_refuses_a_purpose_not_written_as_a_key_without_repeating_it(tmp_path, starter_policy):
    sent = "Anna Jansen <anna@klant.example>"
    result = run_json("organisations", orgs_csv(tmp_path, ORG_ROW.format(n=1)), "--purpose", sent, expect=2)
    assert result["refused"] == (
        "--purpose: a purpose is named by its key in the policy: lower-case letters, digits and underscores"
    )
    assert "anna" not in json.dumps(result).lower()
    assert not Organisation.objects.exists()


def test_it_reports_a_duplicate_reference_with_its_first_row(tmp_path):
    path = orgs_csv(
        tmp_path, ORG_ROW.format(n=1), ORG_ROW.format(n=2), ORG_ROW.format(n=1).replace("Company", "Firm")
    )
    result = run_json("organisations", path, expect=1)
    assert rejects(result) == [(4, "external_ref", "appears more than once in the file; first at line 2")]
    assert Organisation.objects.get(external_ref="C-1").name == "Company 1"


def test_it_reports_a_duplicate_reference_in_json_by_item_index(tmp_path):
    items = [{"external_ref": "C-1", "name": "One"}, {"external_ref": "C-1", "name": "Again"}]
    result = run_json("organisations", write(tmp_path / "o.json", json.dumps(items)), expect=1)
    assert rejects(result) == [(1, "external_ref", "appears more than once in the file; first at item 0")]
    assert result["row_is"] == "item index"


def test_it_writes_the_rejects_to_a_file(tmp_path):
    path = orgs_csv(tmp_path, ORG_ROW.format(n=1), "C-2,company,Two,,,,BE,bad,\n")
    out, err = run("organisations", path, "--rejects", tmp_path / "rejects.csv", expect=1)
    assert "1 created, 0 updated, 0 unchanged, 1 rejected" in out
    assert err == "line 3, email: is not a valid e-mail address\n"
    with (tmp_path / "rejects.csv").open(encoding="utf-8", newline="") as f:
        assert list(csv.reader(f)) == [
            ["line", "field", "reason"],
            ["3", "email", "is not a valid e-mail address"],
        ]


# --- broken files -------------------------------------------------------------------------------


def test_it_refuses_missing_required_columns_before_any_row(tmp_path):
    path = orgs_csv(tmp_path, "C-1,Gent\n", header="external_ref,city\n")
    result = run_json("organisations", path, expect=2)
    assert (
        result["refused"]
        == "missing required columns: name (an import of organisations needs external_ref, name)"
    )
    assert not Organisation.objects.exists()


def test_it_refuses_unknown_columns_naming_them(tmp_path):
    path = orgs_csv(tmp_path, "C-1,One,x,y\n", header="external_ref,name,iban,Birthday\n")
    _, err = run("organisations", path, expect=2)
    assert err.startswith(
        f"{path}: refused, nothing imported: unknown columns: iban, birthday (the columns of"
    )
    assert not Organisation.objects.exists()


def test_it_refuses_unknown_json_keys(tmp_path):
    items = [{"external_ref": "C-1", "name": "One"}, {"external_ref": "C-2", "name": "Two", "iban": "x"}]
    result = run_json("organisations", write(tmp_path / "o.json", json.dumps(items)), expect=2)
    assert result["refused"].startswith(
        "item 1: unknown keys: iban (the keys of organisations are external_ref,"
    )
    assert not Organisation.objects.exists()


def test_it_refuses_a_file_in_another_encoding_naming_line_and_byte(tmp_path):
    text = ORG_HEADER + ORG_ROW.format(n=1) + "C-2,company,Société Générale,,,Liège,BE,,\n"
    path = write(tmp_path / "orgs.csv", text, encoding="cp1252")
    result = run_json("organisations", path, expect=2)
    assert result["refused"] == (
        "line 3, byte 17: 0xE9 is not valid UTF-8; the file is in another encoding (Latin-1 or "
        "Windows-1252?): save it as UTF-8, or give --encoding cp1252"
    )
    assert not Organisation.objects.exists()
    result = run_json("organisations", path, "--encoding", "cp1252")
    assert result["created"] == 2
    assert Organisation.objects.get(external_ref="C-2").name == "Société Générale"


def test_it_rejects_a_csv_cut_mid_row(tmp_path):
    path = orgs_csv(tmp_path, ORG_ROW.format(n=1), "C-2,company,Compa")
    result = run_json("organisations", path, expect=1)
    assert rejects(result) == [
        (3, "", "the file ends in the middle of this row (3 of 9 values): it was cut short")
    ]
    assert list(Organisation.objects.values_list("external_ref", flat=True)) == ["C-1"]


def test_it_rejects_a_csv_cut_inside_a_quoted_value(tmp_path):
    path = orgs_csv(
        tmp_path, ORG_ROW.format(n=1), 'C-2,company,Two,Street,9000,Gent,BE,a@example.com,"Long no'
    )
    result = run_json("organisations", path, expect=1)
    assert rejects(result) == [(3, "", "the file ends inside a quoted value: it was cut short")]
    assert Organisation.objects.count() == 1


def test_it_refuses_a_json_file_cut_mid_object(tmp_path):
    text = json.dumps([{"external_ref": "C-1", "name": "One"}, {"external_ref": "C-2", "name": "Two"}])
    result = run_json("organisations", write(tmp_path / "o.json", text[:-20]), expect=2)
    assert result["refused"] == "the file ends inside item 1: it was cut short"
    assert not Organisation.objects.exists()


def test_it_refuses_invalid_json_naming_line_and_column(tmp_path):
    text = '[\n  {"external_ref": "C-1", "name": "One"},\n  {"external_ref": "C-2" "name": "Two"}\n]\n'
    result = run_json("organisations", write(tmp_path / "o.json", text), expect=2)
    assert result["refused"] == "line 3, column 26 (item 1): not valid JSON: Expecting ',' delimiter"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("o.csv", "", "the file is empty: the first line must name the columns"),
        ("o.csv", "\ufeff", "the file is empty: the first line must name the columns"),
        ("o.json", "", "the file is empty: expected a JSON list of objects, [ {...}, ... ]"),
        (
            "o.json",
            '{"external_ref": "C-1"}',
            "line 1, column 1: the file must be a JSON list of objects, starting with [",
        ),
        ("o.txt", "x", "o.txt: the file name must end in .csv or .json"),
    ],
)
def test_it_refuses_an_empty_or_unreadable_file(tmp_path, name, text, message):
    result = run_json("organisations", write(tmp_path / name, text), expect=2)
    assert result["refused"] == message


def test_it_accepts_a_header_and_an_empty_list_as_no_rows(tmp_path):
    assert run_json("organisations", orgs_csv(tmp_path))["rows"] == 0
    assert run_json("organisations", write(tmp_path / "o.json", "[ ]\n"))["rows"] == 0


def test_it_rejects_a_10_mb_line_and_reads_on(tmp_path):
    huge = "C-2,company,Two,Street,9000,Gent,BE,a@example.com," + "x" * (10 * 1024 * 1024) + "\n"
    path = orgs_csv(tmp_path, ORG_ROW.format(n=1), huge, ORG_ROW.format(n=3))
    result = run_json("organisations", path, expect=1)
    assert rejects(result) == [(3, "", "the line is longer than 1,048,576 bytes")]
    assert sorted(Organisation.objects.values_list("external_ref", flat=True)) == ["C-1", "C-3"]


def test_it_reads_a_json_file_of_10_mb_on_one_line(tmp_path):
    items = [{"external_ref": f"C-{n}", "name": f"Company {n}", "notes": "n" * 10_000} for n in range(1_000)]
    path = write(tmp_path / "o.json", json.dumps(items, separators=(",", ":")))
    assert path.stat().st_size > 10_000_000 and path.read_bytes().count(b"\n") == 0
    result = run_json("organisations", path, "--dry-run")
    assert (result["created"], result["rejected"]) == (1_000, 0)


def test_it_reads_a_byte_order_mark(tmp_path):
    path = write(tmp_path / "o.csv", "\ufeff" + ORG_HEADER + ORG_ROW.format(n=1))
    assert run_json("organisations", path)["created"] == 1
    path = write(tmp_path / "o.json", '\ufeff[{"external_ref": "C-2", "name": "Twee"}]')
    assert run_json("organisations", path)["created"] == 1


def test_it_reads_semicolons_and_decimal_commas(tmp_path):
    run("organisations", EXAMPLES / "organisations.csv")
    text = (
        "external_ref;organisation_ref;number;issued_on;fiscal_year_end;total;billing_name;billing_address;line_description;line_unit_price\r\n"
        'I-1;C-1001;N-1;2024-01-31;2024-12-31;121,00;Bakkerij;"Veldstraat 12; Gent";Hosting;100,00\r\n'
    )
    result = run_json("invoices", write(tmp_path / "i.csv", text))
    assert result["created"] == 1
    invoice = Invoice.objects.get(external_ref="I-1")
    assert (invoice.total, invoice.billing_address) == (Decimal("121.00"), "Veldstraat 12; Gent")
    assert invoice.lines.get().unit_price == Decimal("100.0000")


def test_it_refuses_a_decimal_comma_in_a_comma_separated_file(tmp_path):
    run("organisations", EXAMPLES / "organisations.csv")
    text = (
        "external_ref,organisation_ref,number,issued_on,fiscal_year_end,total,billing_name\n"
        'I-1,C-1001,N-1,2024-01-31,2024-12-31,"121,00",Bakkerij\n'
    )
    result = run_json("invoices", write(tmp_path / "i.csv", text), expect=1)
    assert rejects(result) == [
        (2, "total", "is not a number (use . as the decimal mark, no thousands separator)")
    ]


# --- dry run ------------------------------------------------------------------------------------


def test_it_writes_nothing_on_a_dry_run(tmp_path):
    entries = JournalEntry.objects.count()
    path = orgs_csv(tmp_path, ORG_ROW.format(n=1), ORG_ROW.format(n=2), "C-3,company,Three,,,,BE,bad,\n")
    out, _ = run("organisations", path, "--dry-run", expect=1)
    assert "2 created, 0 updated, 0 unchanged, 1 rejected" in out
    assert "dry run: nothing was written" in out
    assert not Organisation.objects.exists()
    assert Organisation.history.count() == 0
    assert JournalEntry.objects.count() == entries


# --- scale --------------------------------------------------------------------------------------


def store_organisations(numbers: range) -> None:
    """Store organisations as ORG_ROW describes them, directly (the import then finds them unchanged)."""
    stored = [
        Organisation(
            external_ref=f"C-{n}",
            name=f"Company {n}",
            street=f"Street {n}",
            postal_code="9000",
            city="Gent",
            country="BE",
            email=f"info{n}@example.com",
            channel="import",
        )
        for n in numbers
    ]
    Organisation.objects.bulk_create(stored, batch_size=5_000)


def test_it_imports_100000_rows(tmp_path):
    """A file of 100,000 rows streams through in batches; most are already stored, as on a daily sync."""
    path = tmp_path / "orgs.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(ORG_HEADER)
        for n in range(100_000):
            f.write(ORG_ROW.format(n=n))
    store_organisations(range(1_000, 100_000))
    result = run_json("organisations", path, "--batch-size", "2000")
    assert (result["rows"], result["created"], result["unchanged"], result["rejected"]) == (
        100_000,
        1_000,
        99_000,
        0,
    )
    assert Organisation.objects.count() == 100_000
    assert JournalEntry.objects.filter(action="registry.organisation.created").count() == 1_000


def test_it_rejects_a_10_mb_last_line(tmp_path):
    huge = "C-2,company,Two," + "x" * (10 * 1024 * 1024)
    result = run_json("organisations", orgs_csv(tmp_path, ORG_ROW.format(n=1), huge), expect=1)
    assert rejects(result) == [(3, "", "the line is longer than 1,048,576 bytes")]


def test_it_refuses_json_items_without_a_required_key(tmp_path):
    items = [{"external_ref": "C-1", "name": "One"}, {"external_ref": "C-2"}]
    result = run_json("organisations", write(tmp_path / "o.json", json.dumps(items)), expect=2)
    assert result["refused"] == (
        "item 1: missing required keys: name (an import of organisations needs external_ref, name)"
    )


def test_it_rejects_roles_without_an_organisation_and_unknown_roles(tmp_path):
    run("organisations", EXAMPLES / "organisations.csv")
    text = "external_ref,organisation_ref,role,last_name\nP-1,,owner,Peeters\nP-2,C-1001,boss,Maes\n"
    result = run_json("people", write(tmp_path / "p.csv", text), expect=1)
    assert rejects(result) == [
        (2, "role", "needs organisation_ref: the organisation the person has this role in"),
        (3, "role", "must be one or more of: owner, billing, technical, user"),
    ]
    assert not Person.objects.exists()


def test_it_rejects_an_invoice_number_used_twice(tmp_path):
    run("organisations", EXAMPLES / "organisations.csv")
    text = (
        "external_ref,organisation_ref,number,issued_on,fiscal_year_end,total,billing_name\n"
        "I-1,C-1001,N-1,2024-01-31,2024-12-31,10.00,Bakkerij\n"
        "I-2,C-1001,N-1,2024-02-29,2024-12-31,10.00,Bakkerij\n"
    )
    result = run_json("invoices", write(tmp_path / "i.csv", text), expect=1)
    assert rejects(result) == [(3, "number", "is also the number of the invoice at line 2")]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_it_shows_progress_on_a_terminal_only(tmp_path):
    store_organisations(range(10_000))
    path = orgs_csv(tmp_path, *(ORG_ROW.format(n=n) for n in range(10_000)))
    out, err = io.StringIO(), _Terminal()
    call_command("import", "organisations", str(path), stdout=out, stderr=err)
    assert err.getvalue() == "10,000 of 10,000 rows (100%)\n"
    assert "0 created, 0 updated, 10,000 unchanged, 0 rejected" in out.getvalue()
    err = _Terminal()
    call_command("import", "organisations", str(path), "--json", stdout=out, stderr=err)
    assert err.getvalue() == ""
