"""Two-factor authentication (TOTP with recovery codes) as the policy in effect says."""

from __future__ import annotations

import json

import pytest
from allauth.mfa.models import Authenticator

from tests.accounts.personas import PASSWORD, fresh_totp_code, log_in
from tests.conftest import POLICY
from trustdesk.accounts.access import user_has_two_factor

pytestmark = pytest.mark.django_db


def test_it_asks_staff_for_their_code_after_the_password(client, personas) -> None:
    first = log_in(client, "sam@hoster.example")
    assert first.status_code == 302 and first["Location"] == "/account/2fa/authenticate/"
    assert client.get("/account/").status_code == 302  # not logged in yet
    wrong = client.post("/account/2fa/authenticate/", {"code": "000000"})
    assert (
        wrong.status_code == 200
        and "This code is not right: check it and try again." in wrong.content.decode()
    )
    done = client.post("/account/2fa/authenticate/", {"code": fresh_totp_code(personas.totp["sam"])})
    assert done.status_code == 302 and done["Location"] == "/account/"
    assert client.get("/account/").status_code == 200


def test_it_sends_staff_without_an_authenticator_to_set_one_up_first(client, personas) -> None:
    Authenticator.objects.filter(user=personas.pia).delete()
    assert log_in(client, "pia@hoster.example")["Location"] == "/account/"
    for path in ("/account/", "/console/instructions/", "/admin/", "/account/history/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/account/2fa/totp/activate/", path
    # allauth asks for the password again before an authenticator is added, even straight after the log-in:
    # the signed-in session alone opens nothing else, and a stolen one must not be able to add its own.
    assert client.get("/account/2fa/totp/activate/")["Location"].startswith("/account/reauthenticate/")
    confirmed = client.post(
        "/account/reauthenticate/?next=/account/2fa/totp/activate/", {"password": PASSWORD}
    )
    assert confirmed["Location"] == "/account/2fa/totp/activate/"
    page = client.get("/account/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    activated = client.post("/account/2fa/totp/activate/", {"code": fresh_totp_code(secret)})
    assert activated.status_code == 302
    assert user_has_two_factor(personas.pia)
    assert Authenticator.objects.filter(user=personas.pia, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert (
        client.get("/account/2fa/recovery-codes/").status_code == 200
    )  # within the repeated password's time
    assert client.get("/console/instructions/").status_code == 200


def test_it_lets_customers_choose_when_the_policy_makes_it_optional(client, personas) -> None:
    log_in(client, "olga@example.com")
    assert client.get("/account/").status_code == 200
    assert client.get("/account/2fa/").status_code == 200
    client.post("/account/reauthenticate/", {"password": PASSWORD})
    assert client.get("/account/2fa/totp/activate/").status_code == 200


def test_it_requires_it_of_customers_when_the_policy_says_so(client, personas, publish) -> None:
    publish(POLICY.replace("customers: optional", "customers: required"))
    log_in(client, "olga@example.com")
    assert client.get("/portal/")["Location"] == "/account/2fa/totp/activate/"


def test_it_offers_customers_none_when_the_policy_makes_it_unavailable(client, personas, publish) -> None:
    publish(POLICY.replace("customers: optional", "customers: unavailable"))
    log_in(client, "olga@example.com")
    assert client.get("/portal/").status_code == 200
    assert client.get("/account/2fa/").status_code == 404
    assert client.get("/account/2fa/totp/activate/").status_code == 404
    assert (
        "Two-factor authentication"
        not in client.get("/account/").content.decode().split("<main", 1)[1].split("<dl", 1)[0]
    )


def test_it_logs_in_with_a_recovery_code(client, personas) -> None:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    codes = RecoveryCodes.activate(personas.abe).generate_codes()
    log_in(client, "abe@hoster.example")
    done = client.post("/account/2fa/authenticate/", {"code": codes[0]})
    assert done.status_code == 302 and done["Location"] == "/account/"
    client.logout()
    log_in(client, "abe@hoster.example")
    again = client.post("/account/2fa/authenticate/", {"code": codes[0]})  # used once already
    assert again.status_code == 200


def test_it_asks_for_the_password_or_the_app_not_an_e_mailed_code_before_a_two_factor_change(
    client, personas
) -> None:
    log_in(client, "sam@hoster.example")
    done = client.post("/account/2fa/authenticate/", {"code": fresh_totp_code(personas.totp["sam"])})
    assert done["Location"] == "/account/"
    assert client.get("/account/2fa/totp/deactivate/")["Location"].startswith("/account/reauthenticate/")
    page = client.get("/account/reauthenticate/?next=/account/2fa/totp/deactivate/").content.decode()
    assert 'name="password"' in page
    assert "/account/reauthenticate/code/" not in page  # no code by e-mail as the proof


def test_the_code_page_says_what_to_do_without_the_app(client, personas) -> None:
    log_in(client, "sam@hoster.example")
    page = client.get("/account/2fa/authenticate/").content.decode()
    assert '<label for="id_code">' in page  # a labelled field, not a placeholder alone
    assert "No access to your authenticator app?" in page and "one of your recovery codes" in page
    controller = "privacy@hostwerk.example"
    assert f'<a href="mailto:{controller}">{controller}</a>' in page
    dutch = client.get("/account/2fa/authenticate/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Geen toegang tot uw authenticator-app?" in dutch


@pytest.mark.django_db(transaction=True)  # allauth tells of an authenticator added when it commits
def test_setting_up_and_removing_two_factor_is_journaled_and_in_the_log_in_history(
    client, personas, mailbox
) -> None:
    from trustdesk.journal.models import JournalEntry

    log_in(client, "olga@example.com")
    client.post("/account/reauthenticate/", {"password": PASSWORD})
    secret = client.get("/account/2fa/totp/activate/").context["form"].secret
    with_app = client.post("/account/2fa/totp/activate/", {"code": fresh_totp_code(secret)})
    assert with_app.status_code == 302
    assert Authenticator.objects.filter(user=personas.olga, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert client.post("/account/2fa/recovery-codes/generate/").status_code == 302
    assert client.post("/account/2fa/totp/deactivate/").status_code == 302
    entries = JournalEntry.objects.filter(object_type="auth.user", object_id=str(personas.olga.pk))
    about = list(entries.filter(action__startswith="accounts.authenticator_").order_by("seq"))
    made = [(e.action, (e.payload or {}).get("kind")) for e in about]
    assert made == [
        ("accounts.authenticator_added", "totp"),
        ("accounts.authenticator_added", "recovery_codes"),
        ("accounts.authenticator_reset", "recovery_codes"),
        ("accounts.authenticator_removed", "totp"),
        ("accounts.authenticator_removed", "recovery_codes"),
    ]
    assert all(e.actor == f"user:{personas.olga.pk}" and "ip" in (e.payload or {}) for e in about)
    assert secret not in json.dumps([e.payload for e in entries])
    history = client.get("/account/history/").content.decode()
    for words in (
        "Two-factor authentication set up",
        "Recovery codes made",
        "New recovery codes made",
        "Two-factor authentication removed",
        "Recovery codes removed",
    ):
        assert f"<td>{words}</td>" in history, words
    notices = [m for m in mailbox.wait_for(3) if m["To"] == "olga@example.com"]
    assert len(notices) == 3  # set up, new recovery codes, removed: each told to the account


def test_two_factor_required_of_staff_cannot_be_turned_off_and_the_page_says_so(client, personas) -> None:
    log_in(client, "sam@hoster.example")
    client.post("/account/2fa/authenticate/", {"code": fresh_totp_code(personas.totp["sam"])})
    page = client.get("/account/2fa/").content.decode()
    assert "It is required for your account, and stays on." in page
    assert "Turn off two-factor authentication" not in page
    client.post("/account/reauthenticate/", {"password": PASSWORD})
    refused = client.post("/account/2fa/totp/deactivate/")
    assert refused.status_code == 200
    assert "Two-factor authentication is required for your account: it cannot be turned off." in (
        refused.content.decode()
    )
    assert user_has_two_factor(personas.sam)


def test_a_customer_turns_it_off_where_it_is_optional(client, personas) -> None:
    from tests.accounts.personas import give_totp

    secret = give_totp(personas.olga)
    log_in(client, "olga@example.com")
    client.post("/account/2fa/authenticate/", {"code": fresh_totp_code(secret)})
    page = client.get("/account/2fa/").content.decode()
    assert "Turn off two-factor authentication" in page and "stays on" not in page
    client.post("/account/reauthenticate/", {"password": PASSWORD})
    form = client.get("/account/2fa/totp/deactivate/").content.decode()
    assert "your recovery codes stop working" in form
    assert client.post("/account/2fa/totp/deactivate/").status_code == 302
    assert not user_has_two_factor(personas.olga)
    assert "Off: logging in asks for your password alone." in client.get("/account/2fa/").content.decode()
