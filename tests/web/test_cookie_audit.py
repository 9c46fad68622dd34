"""Every cookie of every page, public and logged in, has an expiry, the right flags and no personal data (P2.2)."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.core.signing import get_cookie_signer
from django.test import Client

from tests.accounts.personas import PASSWORD, Personas, log_in, personas
from tests.web.cookie_audit import problems, readable
from tests.web.cookie_policy import COOKIE_POLICY
from tests.web.test_authorisation_matrix import MATRIX
from trustdesk.policy.queries import version_in_effect

pytestmark = pytest.mark.django_db

#: What a cookie must never hold: the personas' addresses and names, and the client's IP address.
REMOTE = "127.0.0.1"


class _Ids(dict[str, object]):
    """The matrix's placeholders; one this audit does not set is a record that does not exist (1)."""

    def __missing__(self, key: str) -> object:
        return 1


def _urls(ids: dict[str, int]) -> list[str]:
    return [path.format_map(_Ids(ids)) for path, _ in MATRIX.values()]


class Audit:
    def __init__(self, personal: list[str]) -> None:
        version = version_in_effect()
        assert version is not None
        self.policy = version.loaded.policy
        self.personal = personal
        self.seen: dict[str, int] = {}
        self.found: list[str] = []

    def check(self, response: Any, where: str) -> Any:
        for name, morsel in response.cookies.items():
            self.seen[name] = self.seen.get(name, 0) + 1
            self.found += problems(morsel, self.policy, where=where, personal=self.personal)
        return response


@pytest.fixture
def audit(personas: Personas, publish) -> tuple[Audit, Personas]:
    publish(COOKIE_POLICY)
    people = [personas.olga, personas.bert, personas.otto]
    personal = [REMOTE] + [p.email for p in people] + [p.email.split("@")[0] for p in people]
    return Audit(personal), personas


def test_it_sets_only_declared_cookies_with_an_expiry_and_no_personal_data_on_public_pages(audit) -> None:
    check, people = audit
    client = Client(REMOTE_ADDR=REMOTE)
    for url in _urls({"bakkerij": people.bakkerij.pk, "instruction": 1}):
        check.check(client.get(url), f"GET {url}")
    check.check(client.post("/account/password/reset/", {"email": people.olga.email}), "POST reset")
    check.check(
        client.post("/account/login/", {"login": people.olga.email, "password": "wrong"}), "POST bad log-in"
    )
    check.check(client.post("/cookies", {"choice": "necessary", "next": "/"}), "POST /cookies")
    check.check(client.post("/cookies", {"choice": "all", "next": "/"}), "POST /cookies")
    assert check.found == []
    assert {"csrftoken", "cookie_consent"} <= set(check.seen)


def test_it_sets_only_such_cookies_on_the_account_pages_once_logged_in(audit) -> None:
    check, people = audit
    client = Client(REMOTE_ADDR=REMOTE)
    check.check(client.get("/account/login/"), "GET log-in")
    response = check.check(log_in(client, people.olga.email, PASSWORD), "POST log-in")
    assert response.status_code == 302 and "sessionid" in response.cookies
    for url in _urls({"bakkerij": people.bakkerij.pk, "instruction": 1}):
        check.check(client.get(url), f"GET {url} logged in")
    check.check(client.post("/account/log-off-everywhere/"), "POST log off everywhere")
    assert check.found == []
    assert "messages" not in check.seen  # messages stay in the session: they may name the address


def test_it_recognises_a_cookie_that_would_break_the_promise(audit) -> None:
    check, _ = audit
    signed = get_cookie_signer(salt="django.contrib.messages").sign_object(
        [["__json_message", 0, 25, "We sent a link to olga@bakkerij.example"]], compress=False
    )
    assert readable(signed)
    cookies = SimpleCookie()
    cookies["sessionid"] = signed
    cookies["sessionid"]["httponly"] = True
    cookies["sessionid"]["samesite"] = "Lax"
    cookies["sessionid"]["max-age"] = 28800
    cookies["td_stats"] = "abcdefghijklmnopqrstuvwx"
    cookies["td_stats"]["httponly"] = True
    cookies["td_stats"]["samesite"] = "Lax"
    cookies["unknown"] = "x"
    found = [
        p
        for name in cookies
        for p in problems(cookies[name], check.policy, where="t", personal=check.personal)
    ]
    assert any("'sessionid' holds something readable" in p for p in found)
    assert any("'td_stats' is a session cookie but not declared a strictly necessary one" in p for p in found)
    assert any("'unknown' is not declared" in p for p in found)
    assert not readable("k3j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8")  # a session key


__all__ = ["personas"]
