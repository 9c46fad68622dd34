"""System checks on TRUSTDESK_POLICY: it loads, passes lint and is the published version."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import POLICY
from trustdesk.policy.checks import check_policy_file
from trustdesk.policy.services import do_publish_policy


def ids(messages) -> list[str]:
    return [m.id for m in messages]


def test_it_checks_nothing_without_trustdesk_policy(settings) -> None:
    settings.TRUSTDESK_POLICY = None
    assert check_policy_file() == []


def test_it_reports_a_policy_file_that_does_not_load(settings, tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY + "colour: blue\n")
    settings.TRUSTDESK_POLICY = path
    [error] = check_policy_file()
    assert error.id == "trustdesk.E001"
    assert "colour" in error.msg
    assert f"{path}:" in error.msg


@pytest.mark.django_db
def test_it_warns_when_the_file_differs_from_the_published_version(settings, tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    settings.TRUSTDESK_POLICY = path
    assert ids(check_policy_file(databases=["default"])) == ["trustdesk.W001"]
    do_publish_policy(POLICY, str(path), actor="test")
    assert check_policy_file(databases=["default"]) == []
    path.write_text(POLICY.replace("attempts: 5", "attempts: 4"))
    assert ids(check_policy_file(databases=["default"])) == ["trustdesk.W001"]


def test_it_reports_a_policy_with_lint_errors(settings, tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.replace("rights:\n  contact: {email: privacy@hostwerk.example}\n", ""))
    settings.TRUSTDESK_POLICY = path
    [error] = check_policy_file()
    assert error.id == "trustdesk.E002"
    assert "TD121" in error.msg
