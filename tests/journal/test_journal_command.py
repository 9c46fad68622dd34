"""`trustdesk journal verify|show`."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.journal.conftest import sql
from trustdesk.journal.queries import anchor


def _run(*args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("journal", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return out.getvalue(), err.getvalue(), int(exc.code or 0)
    return out.getvalue(), err.getvalue(), 0


def test_it_says_the_journal_is_intact(five) -> None:
    out, _, status = _run("verify")
    assert status == 0
    assert "journal intact: 5 entries verified" in out
    assert f"anchor: {anchor()}" in out


def test_it_names_the_first_problem_and_exits_with_1(five) -> None:
    sql("DELETE FROM {table} WHERE seq = 2")
    _, err, status = _run("verify")
    assert status == 1
    assert "entry 2 is missing: the chain jumps from 1 to 3" in err


def test_it_prints_json(five) -> None:
    out, _, status = _run("verify", "--json")
    assert status == 0
    head = anchor()
    assert json.loads(out) == {
        "ok": True,
        "checked": 5,
        "first_broken": None,
        "problem": None,
        "head_seq": 5,
        "head_hash": head.hash,
    }
    sql("UPDATE {table} SET action = %s WHERE seq = 4", ["registry.person.deleted"])
    out, _, status = _run("verify", "--json")
    assert status == 1
    data = json.loads(out)
    assert (data["ok"], data["first_broken"]) == (False, 4)
    assert data["problem"] == "entry 4 was edited: its hash does not match its content"


def test_it_checks_an_anchor(five) -> None:
    head = anchor()
    assert _run("verify", "--anchor", str(head))[2] == 0
    _, err, status = _run("verify", "--anchor", f"5:{'0' * 64}")
    assert status == 1
    assert "entry 5 does not match the anchor" in err


def test_it_refuses_a_malformed_anchor(five) -> None:
    with pytest.raises(CommandError, match="is not SEQ:HASH"):
        call_command("journal", "verify", "--anchor", "5:abc")


def test_it_shows_the_newest_entries_without_payloads(five) -> None:
    out, _, _ = _run("show", "--last", "2")
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].split()[0] == "4" and "registry.person.updated" in lines[0]
    assert "registry.person:101" in lines[1] and "[payload]" in lines[1]
    assert "@example.com" not in out and "Person" not in out


def test_it_shows_entries_as_json_without_payloads(five) -> None:
    out, _, _ = _run("show", "--json")
    rows = json.loads(out)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["payload"] == "present"
    assert rows[0]["at"].endswith("Z")
    assert "@example.com" not in out


def test_it_shows_the_anchor(five) -> None:
    out, _, _ = _run("show", "--anchor")
    assert out.strip() == str(anchor())
    out, _, _ = _run("show", "--anchor", "--json")
    assert json.loads(out) == {"seq": 5, "hash": anchor().hash}


def test_it_shows_an_empty_journal(db) -> None:
    out, _, _ = _run("show")
    assert out.strip() == "the journal is empty"
    out, _, status = _run("verify")
    assert (status, out.splitlines()[0]) == (0, "journal intact: 0 entries verified")
