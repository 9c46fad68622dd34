"""Keyed pseudonyms: HMAC-SHA-256 under a key in the data directory that can be rotated and destroyed."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from trustdesk.lib import pseudonyms
from trustdesk.lib.pseudonyms import (
    PseudonymKeyError,
    canonical,
    current_key,
    destroy_key,
    fit,
    is_pseudonym,
    key_id_of,
    key_ids,
    pseudonymise,
    rotate_key,
)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(pseudonyms.ENV_KEY_FILE, raising=False)
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_it_makes_a_key_on_first_use_readable_by_its_owner_only(data_dir: Path) -> None:
    value = pseudonymise("anna@example.be", kind="email")
    key_file = data_dir / "keys" / "pseudonym-p1.key"
    assert value.startswith("p1:")
    assert len(key_file.read_bytes()) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_it_gives_one_value_one_pseudonym() -> None:
    first = pseudonymise("anna@example.be", kind="email")
    assert pseudonymise("anna@example.be", kind="email") == first
    assert pseudonymise("bob@example.be", kind="email") != first
    assert is_pseudonym(first)
    assert key_id_of(first) == "p1"
    assert len(first) == 55


def test_it_is_not_an_unkeyed_hash() -> None:
    value = pseudonymise("192.0.2.10", kind="ip")
    digest = value.split(":", 1)[1]
    for unkeyed in (hashlib.sha256(b"192.0.2.10"), hashlib.sha256(b"ip\x00192.0.2.10")):
        assert unkeyed.hexdigest() not in value
        assert digest != pseudonyms.base64.b32encode(unkeyed.digest()).decode().rstrip("=").lower()


def test_it_differs_under_another_key(settings, tmp_path: Path) -> None:
    here = pseudonymise("anna@example.be", kind="email")
    settings.DATA_DIR = tmp_path / "another installation"
    there = pseudonymise("anna@example.be", kind="email")
    assert here.split(":")[0] == there.split(":")[0] == "p1"  # same key id, different key
    assert here != there


def test_it_canonicalises_e_mail_addresses_and_ip_addresses() -> None:
    assert canonical("  Anna.Peeters@Example.BE ", "email") == "anna.peeters@example.be"
    assert canonical("::ffff:192.0.2.10", "ip") == "192.0.2.10"
    assert canonical("2001:0DB8:0000:0000:0000:0000:0000:0001", "ip") == "2001:db8::1"
    assert canonical("192.0.2.77/24", "ip_network") == "192.0.2.0/24"
    assert canonical("Example.COM.", "domain") == "example.com"
    email = pseudonymise("anna@example.be", kind="email")
    assert pseudonymise(" ANNA@example.be", kind="email") == email
    assert pseudonymise("::ffff:192.0.2.10", kind="ip") == pseudonymise("192.0.2.10", kind="ip")
    with pytest.raises(ValueError, match="unknown pseudonym kind"):
        pseudonymise("x", kind="colour")


def test_it_rotates_the_key_and_keeps_old_pseudonyms_recognisable() -> None:
    old = pseudonymise("anna@example.be", kind="email")
    assert rotate_key() == "p2"
    new = pseudonymise("anna@example.be", kind="email")
    assert new.startswith("p2:") and new != old
    assert key_id_of(old) == "p1"
    assert key_ids() == ["p1", "p2"]


def test_it_destroys_a_key_for_good(data_dir: Path) -> None:
    pseudonymise("anna@example.be", kind="email")
    rotate_key()
    destroy_key("p2")
    assert not (data_dir / "keys" / "pseudonym-p2.key").exists()
    assert key_ids() == ["p1"]
    # The destroyed key's number is never used again: the next key is p3.
    assert pseudonymise("anna@example.be", kind="email").startswith("p3:")
    assert current_key().id == "p3"
    destroy_key("p2")  # again: nothing to do
    with pytest.raises(PseudonymKeyError, match="no pseudonym key 'p9'"):
        destroy_key("p9")


def test_it_takes_the_key_from_a_file_named_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "pseudonym.hex"
    key_file.write_text("ab" * 32 + "\n")
    monkeypatch.setenv(pseudonyms.ENV_KEY_FILE, str(key_file))
    value = pseudonymise("anna@example.be", kind="email")
    assert value.split(":")[0].startswith("x")
    assert not (tmp_path / "keys").exists()
    with pytest.raises(PseudonymKeyError, match="replace that file"):
        rotate_key()
    key_file.write_text("cd" * 32)
    assert pseudonymise("anna@example.be", kind="email") != value


def test_it_shortens_a_pseudonym_to_fit_a_field_or_refuses() -> None:
    value = pseudonymise("anna@example.be", kind="email")
    assert fit(value, 100) == value
    assert fit(value, 30) == value[:30]
    assert fit(value, 10) is None
