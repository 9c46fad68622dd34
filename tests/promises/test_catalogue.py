"""docs/promises.md lists every promise; 'kept' rows name a marked test that exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROMISES = ROOT.parent / "shared" / "PROMISES.md"
TABLE = ROOT / "docs" / "promises.md"


def _promise_ids() -> set[str]:
    return set(re.findall(r"^- (P\d+\.\d+) ", PROMISES.read_text(encoding="utf-8"), re.M))


def _rows() -> dict[str, list[str]]:
    rows = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("| P"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows[cells[0]] = cells
    return rows


def _marked_tests() -> dict[str, set[str]]:
    """test node id -> promise IDs, read from the source of tests/promises."""
    marked: dict[str, set[str]] = {}
    for path in (ROOT / "tests" / "promises").glob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            ids: set[str] = set()
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr == "promise"
                ):
                    ids |= {
                        a.value
                        for a in decorator.args
                        if isinstance(a, ast.Constant) and isinstance(a.value, str)
                    }
            if ids:
                marked[f"tests/promises/{path.name}::{node.name}"] = ids
    return marked


def test_it_lists_every_promise_once() -> None:
    if not PROMISES.exists():  # a checkout without shared/ beside it
        return
    rows = _rows()
    assert set(rows) == _promise_ids()


def test_it_names_an_existing_marked_test_for_every_kept_promise() -> None:
    marked = _marked_tests()
    for pid, cells in _rows().items():
        if cells[4].startswith("kept"):
            tests = re.findall(r"`([^`]+)`", cells[3])
            assert tests, f"{pid}: a kept promise names the test that proves it"
            for test in tests:
                assert test in marked, f"{pid}: {test} does not exist or carries no promise mark"
                assert pid in marked[test], f"{pid}: {test} is not marked with {pid}"


def test_it_marks_only_promises_that_exist() -> None:
    known = set(_rows())
    for test, ids in _marked_tests().items():
        assert ids <= known, f"{test} names unknown promises {sorted(ids - known)}"
