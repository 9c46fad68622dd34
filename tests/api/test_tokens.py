"""API tokens: random, hashed at rest, scoped, revocable, journaled."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection

from tests.api.conftest import STAFF, journal_since, last_seq
from trustdesk.api.models import ApiToken
from trustdesk.api.services import TokenError, authenticate, do_create_token, do_revoke_token


@pytest.mark.django_db
def test_it_creates_a_token_shown_once_and_stored_hashed() -> None:
    seq = last_seq()
    token, plaintext = do_create_token("WHMCS sync", ["registry:read", "registry:write"], actor=STAFF)
    assert len(plaintext) == 43 and plaintext.isalnum()
    assert token.prefix == plaintext[:8]
    assert token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert token.scopes == ["registry:read", "registry:write"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        rows = cursor.fetchall()
    assert plaintext not in repr(rows)
    assert plaintext[8:] not in repr(rows)
    [entry] = journal_since(seq)
    assert (entry.action, entry.actor, entry.object_type, entry.object_id) == (
        "api.token.created",
        "operator:staff",
        "api.apitoken",
        str(token.pk),
    )
    assert entry.payload == {"name": "WHMCS sync", "scopes": ["registry:read", "registry:write"]}
    assert plaintext not in repr(entry.payload)


@pytest.mark.django_db
def test_it_draws_a_different_token_each_time() -> None:
    plaintexts = {do_create_token(f"t{i}", ["registry:read"], actor=STAFF)[1] for i in range(20)}
    assert len(plaintexts) == 20


@pytest.mark.django_db
def test_it_authenticates_an_active_token_only() -> None:
    token, plaintext = do_create_token("t", ["registry:read"], actor=STAFF)
    assert authenticate(plaintext) == token
    assert authenticate(plaintext.swapcase()) is None
    seq = last_seq()
    do_revoke_token(token, actor=STAFF)
    assert authenticate(plaintext) is None
    [entry] = journal_since(seq)
    assert (entry.action, entry.object_id) == ("api.token.revoked", str(token.pk))
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


@pytest.mark.django_db
def test_revoking_twice_changes_nothing() -> None:
    token, _ = do_create_token("t", ["registry:read"], actor=STAFF)
    first = do_revoke_token(token, actor=STAFF).revoked_at
    seq = last_seq()
    assert do_revoke_token(token, actor=STAFF).revoked_at == first
    assert journal_since(seq) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "scopes", "message"),
    [
        (
            "t",
            ["registry:delete"],
            "unknown scope registry:delete; the scopes are registry:read, registry:write, requests:read, "
            "requests:write",
        ),
        ("t", [], "name at least one scope: registry:read, registry:write, requests:read, requests:write"),
        ("  ", ["registry:read"], "a token needs a name of 1 to 100 characters"),
    ],
)
def test_it_refuses_bad_tokens(name: str, scopes: list[str], message: str) -> None:
    with pytest.raises(TokenError) as excinfo:
        do_create_token(name, scopes, actor=STAFF)
    assert str(excinfo.value) == message
    assert not ApiToken.objects.exists()


def test_the_token_hash_is_declared_not_personal() -> None:
    data_map = ApiToken.data_map
    assert "token_hash" in data_map.not_personal
    assert data_map.personal["created_by"].category == "user.account"
