"""Two-factor secrets sealed at rest: a database dump holds no TOTP key or recovery-code seed."""

from __future__ import annotations

import importlib
import json
from io import StringIO
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from tests.accounts.personas import fresh_totp_code, log_in
from trustdesk.accounts.sealing import PREFIX, SealError, is_sealed, reseal_all, seal, unseal
from trustdesk.journal.models import JournalEntry

pytestmark = pytest.mark.django_db

OLD = "an-old-secret-key-" + "o" * 50
NEW = "a-new-secret-key-" + "n" * 50


def _stored(user) -> str:
    """Every authenticator of the user as the database holds it."""
    return json.dumps(list(Authenticator.objects.filter(user=user).values("type", "data")))


def test_the_database_holds_no_totp_key_and_a_log_in_with_it_still_works(client, personas) -> None:
    secret = personas.totp["sam"]
    stored = Authenticator.objects.get(user=personas.sam, type="totp").data["secret"]
    assert is_sealed(stored) and secret not in _stored(personas.sam)
    assert unseal(stored) == secret
    assert log_in(client, "sam@hoster.example")["Location"] == "/account/2fa/authenticate/"
    done = client.post("/account/2fa/authenticate/", {"code": fresh_totp_code(secret)})
    assert done["Location"] == "/account/"


def test_recovery_codes_come_from_a_sealed_seed_and_stay_the_same(personas) -> None:
    codes = RecoveryCodes.activate(personas.sam)
    seed = Authenticator.objects.get(user=personas.sam, type="recovery_codes").data["seed"]
    assert is_sealed(seed) and unseal(seed) not in _stored(personas.sam)
    first = codes.generate_codes()
    assert len(first) == 10 and RecoveryCodes(codes.instance).generate_codes() == first


def test_a_changed_secret_key_still_opens_with_the_old_one_as_fallback_until_resealed(settings) -> None:
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD, []
    sealed = seal("JBSWY3DPEHPK3PXP")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, [OLD]
    assert unseal(sealed) == "JBSWY3DPEHPK3PXP"
    resealed = seal(unseal(sealed))
    settings.SECRET_KEY_FALLBACKS = []
    assert unseal(resealed) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(SealError) as failed:
        unseal(sealed)  # under the old key alone
    assert "JBSWY3DPEHPK3PXP" not in str(failed.value) and "TRUSTDESK_SECRET_KEY" in str(failed.value)


def test_the_reseal_command_moves_every_secret_to_the_new_key_and_journals_how_many(
    settings, personas
) -> None:
    RecoveryCodes.activate(personas.sam)
    before = {a.pk: json.dumps(a.data) for a in Authenticator.objects.all()}
    secrets = {a.pk: unseal(a.data["secret"]) for a in Authenticator.objects.filter(type="totp")}
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = NEW
    out = StringIO()
    call_command("twofactor", "reseal", stdout=out)
    assert f"sealed the secrets of {len(before)} authenticators" in out.getvalue()
    settings.SECRET_KEY_FALLBACKS = []
    for authenticator in Authenticator.objects.filter(type="totp"):
        assert unseal(authenticator.data["secret"]) == secrets[authenticator.pk]
    assert all(json.dumps(a.data) != before[a.pk] for a in Authenticator.objects.all())
    entry = JournalEntry.objects.filter(action="accounts.two_factor_resealed").get()
    assert entry.payload == {"authenticators": len(before)} and entry.actor.startswith("operator:")


def test_the_reseal_command_changes_nothing_when_a_secret_cannot_be_opened(settings, personas) -> None:
    before = sorted(json.dumps(a.data) for a in Authenticator.objects.all())
    settings.SECRET_KEY = NEW  # the old key lost
    with pytest.raises(CommandError, match="nothing was changed: a two-factor secret in the database cannot"):
        call_command("twofactor", "reseal")
    assert sorted(json.dumps(a.data) for a in Authenticator.objects.all()) == before
    assert not JournalEntry.objects.filter(action="accounts.two_factor_resealed").exists()


def test_the_migration_seals_what_was_stored_in_clear_and_opening_it_again_restores_it(personas) -> None:
    """Secrets stored before sealing (no prefix) are read as they are and sealed by the migration."""
    migration = importlib.import_module("trustdesk.accounts.migrations.0004_seal_two_factor_secrets")
    Authenticator.objects.filter(user=personas.sam, type="totp").update(data={"secret": "JBSWY3DPEHPK3PXP"})
    Authenticator.objects.create(
        user=personas.sam,
        type="recovery_codes",
        data={"seed": "ab" * 40, "used_mask": 0, "migrated_codes": ["1"]},
    )
    assert unseal("JBSWY3DPEHPK3PXP") == "JBSWY3DPEHPK3PXP"
    migration.seal(apps, None)
    totp = Authenticator.objects.get(user=personas.sam, type="totp").data
    codes = Authenticator.objects.get(user=personas.sam, type="recovery_codes").data
    assert totp["secret"].startswith(PREFIX) and unseal(totp["secret"]) == "JBSWY3DPEHPK3PXP"
    assert unseal(codes["seed"]) == "ab" * 40 and [unseal(c) for c in codes["migrated_codes"]] == ["1"]
    assert codes["used_mask"] == 0
    again = json.dumps(totp)
    migration.seal(apps, None)  # a second run leaves sealed values alone
    assert json.dumps(Authenticator.objects.get(user=personas.sam, type="totp").data) == again
    migration.unseal(apps, None)
    assert Authenticator.objects.get(user=personas.sam, type="totp").data == {"secret": "JBSWY3DPEHPK3PXP"}
    assert reseal_all() == Authenticator.objects.count()


def test_the_fallback_keys_come_from_a_file_one_per_line(tmp_path: Path, monkeypatch) -> None:
    from trustdesk.lib.env import secret_key_fallbacks

    keys = tmp_path / "fallbacks"
    keys.write_text(f"# changed on 1 December\n{OLD}\n\n{NEW}\n", encoding="utf-8")
    monkeypatch.setenv("TRUSTDESK_SECRET_KEY_FALLBACKS_FILE", str(keys))
    assert secret_key_fallbacks() == [OLD, NEW]
    keys.write_text(f"{OLD}\ntoo-short\n", encoding="utf-8")
    with pytest.raises(ImproperlyConfigured, match="line 2: a key shorter than 50 characters"):
        secret_key_fallbacks()
    monkeypatch.setenv("TRUSTDESK_SECRET_KEY_FALLBACKS_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="no such file"):
        secret_key_fallbacks()
    monkeypatch.delenv("TRUSTDESK_SECRET_KEY_FALLBACKS_FILE")
    assert secret_key_fallbacks() == []


def test_a_secret_no_key_opens_gives_an_error_that_says_how_to_get_back_in_and_support_can_remove_it(
    client, settings, personas, caplog
) -> None:
    """The secret key was changed without keeping the old one: the code cannot be checked. The page says
    so and what to do, not a server error; support's removal deletes the sealed secret without opening it."""
    from tests.accounts.personas import give_totp
    from trustdesk.accounts.services import do_remove_two_factor

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD, []
    secret = give_totp(personas.olga)
    settings.SECRET_KEY = NEW
    assert log_in(client, "olga@example.com")["Location"] == "/account/2fa/authenticate/"
    with caplog.at_level("ERROR", logger="trustdesk.accounts.forms"):
        answer = client.post("/account/2fa/authenticate/", {"code": fresh_totp_code(secret)})
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "Your code cannot be checked at the moment: the fault is ours." in page
    assert (
        f"user {personas.olga.pk} cannot be checked" in caplog.text and "TRUSTDESK_SECRET_KEY" in caplog.text
    )
    assert secret not in caplog.text
    assert client.get("/account/").status_code == 302  # not logged in
    assert do_remove_two_factor(personas.olga, actor="user:1", reason="she called") == 1
    client.logout()
    assert log_in(client, "olga@example.com")["Location"] == "/account/"
