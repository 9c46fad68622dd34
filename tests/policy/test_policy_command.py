"""`trustdesk policy render` and the installed `trustdesk` command."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import POLICY

TRUSTDESK = Path(sys.executable).parent / "trustdesk"


def test_it_renders_markdown_in_dutch(policy_file: Path) -> None:
    out = io.StringIO()
    call_command("policy", "render", str(policy_file), "--lang", "nl", "--format", "md", stdout=out)
    text = out.getvalue()
    assert "Hostwerk Test BV" in text
    assert "Nieuwsbrief" in text
    assert "<html" not in text


def test_it_renders_a_whole_html_document_to_a_file(policy_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "statement.html"
    err = io.StringIO()
    call_command("policy", "render", str(policy_file), "--lang", "en", "-o", str(target), stderr=err)
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") or html.lower().startswith("<!doctype html>")
    assert '<html lang="en">' in html
    assert f"wrote {target}" in err.getvalue()


def test_it_refuses_a_language_the_policy_is_not_published_in(tmp_path: Path) -> None:
    path = tmp_path / "en-only.yaml"
    path.write_text(POLICY.replace("languages: [en, nl]", "languages: [en]"))
    with pytest.raises(CommandError, match="is published in en, not in nl"):
        call_command("policy", "render", str(path), "--lang", "nl")


def test_it_refuses_a_language_it_cannot_write(policy_file: Path) -> None:
    with pytest.raises(CommandError, match="invalid choice: 'fr'"):
        call_command("policy", "render", str(policy_file), "--lang", "fr")


@pytest.mark.embedded
@pytest.mark.skipif(not TRUSTDESK.exists(), reason="the trustdesk command is installed by pip install -e .")
def test_it_runs_as_the_installed_command_with_its_exit_status(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUSTDESK_", "DATABASE_URL"))}
    env["TRUSTDESK_DATA_DIR"] = str(tmp_path / "data")
    good = tmp_path / "good.yaml"
    good.write_text(POLICY)
    bad = tmp_path / "bad.yaml"
    bad.write_text(POLICY.replace("rights:\n  contact: {email: privacy@hostwerk.example}\n", ""))
    ok = subprocess.run(
        [str(TRUSTDESK), "policy", "lint", str(good), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert [f["code"] for f in json.loads(ok.stdout)] == ["TD102"]
    failed = subprocess.run(
        [str(TRUSTDESK), "policy", "lint", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert failed.returncode == 1
    assert f"{bad}:" in failed.stdout
    assert "error TD121" in failed.stdout


def test_it_prints_a_json_schema_that_every_example_policy_meets() -> None:
    import jsonschema
    import yaml

    from tests.conftest import EXAMPLES

    out = io.StringIO()
    call_command("policy", "schema", stdout=out)
    schema = json.loads(out.getvalue())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in [*sorted(EXAMPLES.glob("*.yaml"))]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = json.loads(json.dumps(data, default=str))  # dates as text, as an editor sees them
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(data)]
        assert errors == [], path.name
    wrong = yaml.safe_load(POLICY.replace("legal_basis: consent", "legal_basis: consnt"))
    assert any("consnt" in e.message for e in validator.iter_errors(wrong))
