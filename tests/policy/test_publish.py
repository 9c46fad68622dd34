"""Publishing a policy as immutable versions: `trustdesk policy publish` and do_publish_policy."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import POLICY
from trustdesk.policy.loader import PolicyError, content_hash
from trustdesk.policy.models import ImmutableError, PolicyVersion
from trustdesk.policy.queries import (
    request_scope,
    upcoming_versions,
    version_for_request,
    version_in_effect,
    versions_with_periods,
)
from trustdesk.policy.services import PublishRefused, do_publish_policy

pytestmark = pytest.mark.django_db

CHANGED = POLICY.replace("attempts: 5", "attempts: 3")


def test_it_publishes_the_first_version() -> None:
    result = do_publish_policy(POLICY, "policy.yaml", actor="alice")
    version = result.version
    assert result.created
    assert version.number == 1
    assert version.sha256 == content_hash(POLICY)
    assert version.text == POLICY
    assert version.published_by == "alice"
    assert version.effective_from == timezone.localdate()
    assert version_in_effect() == version


def test_it_creates_no_version_for_an_unchanged_policy() -> None:
    first = do_publish_policy(POLICY, "policy.yaml", actor="alice").version
    again = do_publish_policy(POLICY, "policy.yaml", actor="bob")
    assert not again.created
    assert again.version == first
    assert PolicyVersion.objects.count() == 1


def test_it_numbers_a_changed_policy_as_the_next_version() -> None:
    do_publish_policy(POLICY, "policy.yaml", actor="alice")
    second = do_publish_policy(CHANGED, "policy.yaml", actor="alice").version
    assert second.number == 2
    assert version_in_effect() == second
    current = version_in_effect()
    assert current is not None
    assert current.loaded.policy.security.lockout.attempts == 3


def test_it_keeps_the_old_version_in_effect_until_the_new_one_takes_effect() -> None:
    today = timezone.localdate()
    first = do_publish_policy(POLICY, "policy.yaml", actor="alice").version
    later = do_publish_policy(
        CHANGED, "policy.yaml", actor="alice", effective=today + dt.timedelta(days=30)
    ).version
    assert version_in_effect() == first
    assert upcoming_versions() == [later]
    assert version_in_effect(today + dt.timedelta(days=30)) == later
    states = {v.number: (until, state) for v, until, state in versions_with_periods()}
    assert states[1] == (today + dt.timedelta(days=30), "in effect")
    assert states[2] == (None, "upcoming")


def test_it_refuses_an_effective_date_in_the_past() -> None:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(PublishRefused, match=r"the effective date .* is in the past"):
        do_publish_policy(POLICY, "policy.yaml", actor="alice", effective=yesterday)
    assert PolicyVersion.objects.count() == 0


def test_it_refuses_a_policy_with_lint_errors_and_stores_nothing() -> None:
    broken = POLICY.replace(
        "    consent:\n      withdrawal:\n        en: Use the unsubscribe link in every newsletter.\n        nl: Gebruik de afmeldlink in elke nieuwsbrief.\n",
        "",
    )
    assert broken != POLICY
    with pytest.raises(PublishRefused, match="lint found 1 error") as refused:
        do_publish_policy(broken, "policy.yaml", actor="alice")
    assert [f.code for f in refused.value.findings if f.severity == "error"] == ["TD122"]
    assert PolicyVersion.objects.count() == 0


def test_it_refuses_a_policy_that_does_not_load_and_keeps_what_was_published() -> None:
    first = do_publish_policy(POLICY, "policy.yaml", actor="alice").version
    with pytest.raises(PolicyError):
        do_publish_policy(POLICY + "unknown_key: 1\n", "policy.yaml", actor="alice")
    assert list(PolicyVersion.objects.all()) == [first]
    assert version_in_effect() == first


def test_it_never_changes_or_deletes_a_published_version() -> None:
    version = do_publish_policy(POLICY, "policy.yaml", actor="alice").version
    version.text = "format: 1"
    with pytest.raises(ImmutableError):
        version.save()
    with pytest.raises(ImmutableError):
        version.delete()
    assert PolicyVersion.objects.get().text == POLICY


def test_it_publishes_from_the_command_line(policy_file: Path) -> None:
    out = io.StringIO()
    call_command("policy", "publish", str(policy_file), stdout=out)
    assert out.getvalue().startswith("published version 1 (sha256 ")
    out = io.StringIO()
    call_command("policy", "publish", str(policy_file), stdout=out)
    assert "unchanged: the policy is the same as version 1" in out.getvalue()
    version = PolicyVersion.objects.get()
    assert version.published_by.startswith("operator:")
    assert version.source_name == str(policy_file)


def test_it_publishes_with_an_effective_date_and_json(policy_file: Path) -> None:
    day = timezone.localdate() + dt.timedelta(days=10)
    out = io.StringIO()
    call_command("policy", "publish", str(policy_file), "--effective", day.isoformat(), "--json", stdout=out)
    answer = json.loads(out.getvalue())
    assert answer["created"] is True
    assert answer["number"] == 1
    assert answer["effective_from"] == day.isoformat()
    assert answer["sha256"] == content_hash(POLICY)


def test_it_names_a_bad_effective_date(policy_file: Path) -> None:
    with pytest.raises(CommandError, match="--effective '5 March' is not a date written as YYYY-MM-DD"):
        call_command("policy", "publish", str(policy_file), "--effective", "5 March")


def test_it_reports_lint_errors_when_refusing_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        POLICY.replace("  contact: {email: privacy@hostwerk.example}\n", "  invite_contact_first: true\n")
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="not published, lint found 1 error"):
        call_command("policy", "publish", str(path), stderr=err)
    assert "error TD121" in err.getvalue()
    assert PolicyVersion.objects.count() == 0


def test_it_uses_trustdesk_policy_when_no_file_is_given(policy_file: Path, settings) -> None:
    settings.TRUSTDESK_POLICY = policy_file
    call_command("policy", "publish", stdout=io.StringIO())
    assert PolicyVersion.objects.get().source_name == str(policy_file)


def test_it_says_when_there_is_no_file_and_no_trustdesk_policy(settings) -> None:
    settings.TRUSTDESK_POLICY = None
    with pytest.raises(CommandError, match="no FILE given and TRUSTDESK_POLICY is not set"):
        call_command("policy", "publish")


def test_it_lists_versions_as_json(policy_file: Path) -> None:
    call_command("policy", "publish", str(policy_file), stdout=io.StringIO())
    out = io.StringIO()
    call_command("policy", "versions", "--json", stdout=out)
    [row] = json.loads(out.getvalue())
    assert row["number"] == 1
    assert row["state"] == "in effect"
    assert row["until"] is None


def test_it_reads_the_version_in_effect_once_then_only_asks_which_one_it_is() -> None:
    first = do_publish_policy(POLICY, "policy.yaml", actor="alice").version
    version_in_effect()  # read once in this process
    with CaptureQueriesContext(connection) as queries:
        again = version_in_effect()
    assert again == first and again is not None and again.text == POLICY
    [query] = queries.captured_queries
    assert '"text"' not in query["sql"]  # which version: its id, number, hash and dates, not its text
    # A version published since (by this process or another) counts at once.
    second = do_publish_policy(CHANGED, "policy.yaml", actor="alice").version
    current = version_in_effect()
    assert current == second and current is not None
    assert current.loaded.policy.security.lockout.attempts == 3


def test_it_asks_once_within_a_request_scope_and_again_after_a_publication() -> None:
    first = do_publish_policy(POLICY, "policy.yaml", actor="alice").version
    with request_scope():
        with CaptureQueriesContext(connection) as queries:
            assert version_in_effect() == first
            assert version_in_effect() == first
            assert version_in_effect(timezone.localdate()) == first  # the same day, asked for by date
        assert len(queries.captured_queries) <= 2  # which version, then (first time) the version itself
        second = do_publish_policy(CHANGED, "policy.yaml", actor="alice").version
        assert version_in_effect() == second  # published within the request: asked again
    with CaptureQueriesContext(connection) as queries:  # outside a request every call asks
        version_in_effect()
        version_in_effect()
    assert len(queries.captured_queries) == 2


def test_every_web_request_asks_which_version_is_in_effect_once(client: Any) -> None:
    do_publish_policy(POLICY, "policy.yaml", actor="alice")
    client.get("/privacy")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/privacy").status_code == 200
    # The question "which version is in effect" (the page's upcoming versions are another query).
    asked = [query for query in queries.captured_queries if '"effective_from" <=' in query["sql"]]
    assert len(asked) == 1
    # A version published by another process is seen on the next request.
    do_publish_policy(CHANGED, "policy.yaml", actor="alice")
    assert client.get("/privacy").context["version"].number == 2


def test_it_looks_the_version_up_once_per_request() -> None:
    do_publish_policy(POLICY, "policy.yaml", actor="alice")
    request = RequestFactory().get("/")
    with CaptureQueriesContext(connection) as queries:
        first = version_for_request(request)
        assert version_for_request(request) is first
    assert len(queries.captured_queries) <= 2
