"""``trustdesk apitoken create|list|revoke``."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from trustdesk.api.models import ApiToken
from trustdesk.api.services import authenticate
from trustdesk.journal.models import JournalEntry


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("apitoken", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_it_creates_a_token_and_prints_it_once() -> None:
    out, err = run("create", "WHMCS sync", "--scope", "registry:read", "--scope", "registry:write")
    plaintext = out.strip()
    token = ApiToken.objects.get()
    assert authenticate(plaintext) == token
    assert token.scopes == ["registry:read", "registry:write"]
    assert err.startswith(f"Created token {token.prefix} (WHMCS sync) with registry:read, registry:write.")
    assert plaintext not in err
    entry = JournalEntry.objects.get(action="api.token.created")
    assert entry.actor.startswith("operator:")
    listed, _ = run("list")
    assert plaintext not in listed and token.prefix in listed


@pytest.mark.django_db
def test_it_refuses_an_unknown_scope() -> None:
    with pytest.raises(CommandError, match="invalid choice: 'registry:all'"):
        run("create", "x", "--scope", "registry:all")
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_it_lists_tokens_as_json() -> None:
    run("create", "billing", "--scope", "registry:write")
    run("create", "reports", "--scope", "registry:read")
    rows = json.loads(run("list", "--json")[0])
    assert [(r["name"], r["scopes"], r["revoked_at"], r["last_used_at"]) for r in rows] == [
        ("billing", ["registry:write"], None, None),
        ("reports", ["registry:read"], None, None),
    ]
    assert {r["prefix"] for r in rows} == set(ApiToken.objects.values_list("prefix", flat=True))
    assert set(rows[0]) == {"id", "prefix", "name", "scopes", "created_at", "last_used_at", "revoked_at"}


@pytest.mark.django_db
def test_it_lists_tokens_as_text() -> None:
    assert run("list")[0].startswith("No API tokens.")
    run("create", "billing", "--scope", "registry:write")
    prefix = ApiToken.objects.get().prefix
    line = run("list")[0].strip()
    assert line.startswith(f"{prefix}  billing  registry:write  created ")
    assert line.endswith("never used  active")


@pytest.mark.django_db
def test_it_revokes_a_token_by_its_prefix() -> None:
    plaintext = run("create", "billing", "--scope", "registry:write")[0].strip()
    out, _ = run("revoke", plaintext[:8])
    assert out.strip() == f"Revoked token {plaintext[:8]} (billing)."
    assert authenticate(plaintext) is None
    assert JournalEntry.objects.filter(action="api.token.revoked").count() == 1
    again, _ = run("revoke", plaintext[:8])
    assert again.strip() == f"Token {plaintext[:8]} (billing) was already revoked."
    assert "revoked " in run("list")[0]


@pytest.mark.django_db
def test_it_says_when_no_token_has_the_prefix() -> None:
    with pytest.raises(
        CommandError, match="no API token has the prefix 'abcdefgh'; see `trustdesk apitoken list`"
    ):
        run("revoke", "abcdefgh")


@pytest.mark.embedded
def test_the_trustdesk_command_runs_it(tmp_path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "TRUSTDESK_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "trustdesk.cli", "migrate", "-v0"], env=env, check=True)
    created = subprocess.run(
        [sys.executable, "-m", "trustdesk.cli", "apitoken", "create", "cli", "--scope", "registry:read"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    plaintext = created.stdout.strip()
    assert len(plaintext) == 43
    listed = subprocess.run(
        [sys.executable, "-m", "trustdesk.cli", "apitoken", "list", "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(listed.stdout)[0]["prefix"] == plaintext[:8]
