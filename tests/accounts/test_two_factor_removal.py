"""Staff's removal of a customer's two-factor authentication waits, and its owner can keep it meanwhile.

The console's side (asking, withdrawing, the job that carries it out) is in tests/console/test_records.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.accounts.personas import PASSWORD, fresh_totp_code, give_totp, log_in
from tests.lib.test_logfilters import logged
from tests.smtp import refusing
from trustdesk.accounts.models import TwoFactorRemoval
from trustdesk.accounts.services import (
    do_ask_two_factor_removal,
    do_carry_out_due_removals,
    do_keep_two_factor,
    open_removal,
)
from trustdesk.journal.models import JournalEntry
from trustdesk.registry.services import Actor, do_update

pytestmark = pytest.mark.django_db

__all__ = ["logged", "refusing"]

REASON = "Caller gave her address and date of birth"


def _logged_in_with_code(email: str, secret: str) -> Client:
    client = Client()
    assert log_in(client, email)["Location"] == "/account/2fa/authenticate/"
    assert client.post("/account/2fa/authenticate/", {"code": fresh_totp_code(secret)}).status_code == 302
    return client


def test_the_owner_is_warned_at_log_in_and_keeps_two_factor_on_the_account_page(
    personas, smtp, commit, settings
) -> None:
    olga = personas.olga
    secret = give_totp(olga)
    with commit():
        removal = do_ask_two_factor_removal(olga, actor=f"user:{personas.sam.pk}", reason=REASON)
    assert removal is not None and open_removal(olga) == removal
    [told] = smtp.to(olga.email)
    assert f"{settings.SITE_URL}/account/" in smtp.text(told)

    owner = _logged_in_with_code(olga.email, secret)
    landing = owner.get("/account/").content.decode()
    assert "Our staff were asked to remove your two-factor authentication: it is removed on" in landing
    assert landing.count("A second member of our staff checks the request first, so it may be later.") == 2
    assert "Your two-factor authentication is about to be removed" in landing
    assert "Keep two-factor authentication" in landing
    assert REASON not in landing  # the staff's note is in the log-in history, not this warning

    assert Client().post("/account/keep-two-factor/")["Location"].startswith("/account/login/")
    assert owner.get("/account/keep-two-factor/").status_code == 405
    kept = owner.post("/account/keep-two-factor/", follow=True).content.decode()
    assert "Two-factor authentication stays on your account." in kept
    assert "about to be removed" not in kept
    removal.refresh_from_db()
    assert removal.outcome == "kept" and removal.ended_by == f"user:{olga.pk}"
    entry = JournalEntry.objects.get(action="accounts.two_factor_removal_kept")
    assert entry.actor == f"user:{olga.pk}" and entry.payload == {"asked_at": removal.created_at.isoformat()}
    history = owner.get("/account/history/").content.decode()
    assert "Two-factor authentication kept: its removal was stopped" in history

    # Once kept, the job removes nothing, even past the time it was due.
    TwoFactorRemoval.objects.filter(pk=removal.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    assert do_carry_out_due_removals(actor="system") == {
        "removed": 0,
        "nothing_to_remove": 0,
        "notices_not_sent": 0,
    }
    assert Authenticator.objects.filter(user=olga).exists()
    again = owner.post("/account/keep-two-factor/", follow=True).content.decode()
    assert "No removal of your two-factor authentication is waiting." in again
    assert do_keep_two_factor(olga) is None


def test_a_customer_without_a_removal_sees_no_warning(personas) -> None:
    client = Client()
    log_in(client, personas.olga.email)
    page = client.get("/account/").content.decode()
    assert "about to be removed" not in page and "keep-two-factor" not in page


def test_the_warning_is_in_the_owners_language(personas, smtp, commit) -> None:
    olga = personas.olga
    do_update(olga.profile.person, {"language": "nl"}, actor=Actor.operator("test"))
    give_totp(olga)
    with commit():
        do_ask_two_factor_removal(olga, actor="user:1", reason=REASON)
    [told] = smtp.to(olga.email)
    assert told["Subject"] == "De tweestapsverificatie wordt van uw account verwijderd"
    assert '"Tweestapsverificatie behouden"' in smtp.text(told)


def test_it_refuses_a_second_removal_while_one_waits_and_a_staff_account(personas) -> None:
    olga = personas.olga
    give_totp(olga)
    first = do_ask_two_factor_removal(olga, actor="user:1", reason=REASON)
    assert first is not None
    with pytest.raises(ValidationError, match="already asked for: it is due"):
        do_ask_two_factor_removal(olga, actor="user:2", reason="again")
    assert TwoFactorRemoval.objects.filter(user=olga).count() == 1
    with pytest.raises(ValidationError, match="A member of staff's two-factor authentication is not removed"):
        do_ask_two_factor_removal(personas.sam, actor="user:1", reason=REASON)
    assert Authenticator.objects.filter(user=personas.sam).exists()
    # Nothing to remove: nothing is asked.
    assert do_ask_two_factor_removal(personas.bert, actor="user:1", reason=REASON) is None
    assert not TwoFactorRemoval.objects.filter(user=personas.bert).exists()


def test_the_database_holds_one_open_removal_per_account(personas) -> None:
    """The constraint that stops two removals asked at the same moment, whatever the code checked before."""
    from django.db import IntegrityError, transaction

    now = timezone.now()
    TwoFactorRemoval.objects.create(
        user=personas.olga, asked_by="user:1", reason="a", created_at=now, due_at=now
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        TwoFactorRemoval.objects.create(
            user=personas.olga, asked_by="user:2", reason="b", created_at=now, due_at=now
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        TwoFactorRemoval.objects.create(
            user=personas.bert, asked_by="user:2", reason="b", created_at=now, due_at=now, outcome="kept"
        )


def test_an_owner_who_removed_it_meanwhile_leaves_the_job_nothing_to_do(personas, smtp, commit) -> None:
    olga = personas.olga
    give_totp(olga)
    with commit():
        removal = do_ask_two_factor_removal(olga, actor="user:1", reason=REASON)
    assert removal is not None
    Authenticator.objects.filter(user=olga).delete()
    now = timezone.now()
    TwoFactorRemoval.objects.filter(pk=removal.pk).update(due_at=now, approved_by="user:2", approved_at=now)
    with commit():
        counts = do_carry_out_due_removals(actor="system")
    assert counts == {"removed": 0, "nothing_to_remove": 1, "notices_not_sent": 0}
    removal.refresh_from_db()
    assert removal.outcome == "nothing" and removal.ended_at is not None
    assert not JournalEntry.objects.filter(action="accounts.two_factor_removed").exists()
    assert len(smtp.to(olga.email)) == 1  # the warning only


@pytest.mark.django_db(transaction=True)  # the job's notices go when each removal commits
def test_a_notice_the_mail_server_refuses_does_not_stop_the_removal(personas, refusing, logged) -> None:
    olga = personas.olga
    give_totp(olga)
    now = timezone.now()
    TwoFactorRemoval.objects.create(
        user=olga,
        asked_by="user:1",
        reason=REASON,
        created_at=now,
        due_at=now,
        approved_by="user:2",
        approved_at=now,
    )
    assert do_carry_out_due_removals(actor="system") == {
        "removed": 1,
        "nothing_to_remove": 0,
        "notices_not_sent": 1,
    }
    assert not Authenticator.objects.filter(user=olga).exists()
    assert TwoFactorRemoval.objects.get(user=olga).outcome == "removed"
    assert "the e-mail accounts/email/two_factor_removed for account" in logged.getvalue()
    assert olga.email not in logged.getvalue()


@pytest.mark.django_db(transaction=True)  # the warning goes when the request's change commits
def test_a_warning_the_mail_server_refuses_is_said_on_the_console_and_the_removal_stays_recorded(
    personas, refusing, logged
) -> None:
    from tests.portal.conftest import client_for

    olga = personas.olga
    give_totp(olga)
    support = client_for(personas.sam)
    page = f"/console/people/{olga.profile.person.pk}/"
    done = support.post(f"{page}two-factor/remove/", {"two_factor-reason": REASON}, follow=True)
    shown = done.content.decode()
    assert "The removal is recorded for" in shown
    assert "It is sent again over the next three days: tell them another way if it cannot wait." in shown
    assert "kept to send again, next at" in shown  # the account part of the page says so too
    assert open_removal(olga) is not None
    assert olga.email not in logged.getvalue()


def test_the_code_page_field_has_no_placeholder_beside_its_label(personas) -> None:
    give_totp(personas.olga)
    client = Client()
    log_in(client, personas.olga.email, PASSWORD)
    page = client.get("/account/2fa/authenticate/").content.decode()
    field = (
        page.split('id="id_code"', 1)[0].rsplit("<input", 1)[1]
        + page.split('id="id_code"', 1)[1].split(">", 1)[0]
    )
    assert "placeholder" not in field and 'autocomplete="one-time-code"' in field


def test_my_data_shows_the_removal_and_its_reason(personas) -> None:
    from tests.portal.conftest import client_for

    olga = personas.olga
    give_totp(olga)
    do_ask_two_factor_removal(olga, actor="user:1", reason="Called from her known number")
    page = client_for(olga).get("/portal/data/").content.decode()
    assert "(why our staff were asked to remove your two-factor authentication)" in page
    assert "Called from her known number" in page


def test_the_dashboard_lists_the_accounts_to_look_at(personas) -> None:
    from tests.portal.conftest import client_for
    from trustdesk.accounts.models import UnsentNotice

    olga = personas.olga
    assert "Accounts to look at" not in client_for(personas.sam).get("/console/").content.decode()
    give_totp(olga)
    removal = do_ask_two_factor_removal(olga, actor="user:1", reason=REASON)
    assert removal is not None
    now = timezone.now()
    UnsentNotice.objects.create(
        user=olga,
        template="account/email/password_changed",
        created_at=now,
        given_up_at=now,
        last_failure="x",
    )
    page = client_for(personas.sam).get("/console/").content.decode()
    link = f'<a href="/console/people/{olga.profile.person.pk}/#account">Olga'
    assert "Accounts to look at" in page and page.count(link) == 2
    assert f"due {timezone.localtime(removal.due_at):%Y-%m-%d %H:%M}, <strong>to be approved" in page
    assert "Notices given up: tell the owner another way" in page
    do_keep_two_factor(olga)
    UnsentNotice.objects.update(given_up_at=now - dt.timedelta(days=31))
    page = client_for(personas.sam).get("/console/").content.decode()
    assert "Removals stopped by the account's owner: whoever asked was probably not them" in page
    assert page.count(link) == 1 and "Notices given up" not in page
    TwoFactorRemoval.objects.update(ended_at=now - dt.timedelta(days=31))
    assert "Accounts to look at" not in client_for(personas.sam).get("/console/").content.decode()


def _past_due(removal: TwoFactorRemoval) -> None:
    TwoFactorRemoval.objects.filter(pk=removal.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))


def test_a_removal_waits_for_a_second_member_of_staff_who_is_not_the_one_who_asked(
    personas, smtp, commit
) -> None:
    """Four eyes: a caller who talks one member of staff round does not get in by that alone."""
    from trustdesk.accounts.services import do_approve_two_factor_removal

    olga, sam, pia = personas.olga, f"user:{personas.sam.pk}", f"user:{personas.pia.pk}"
    give_totp(olga)
    with commit():
        removal = do_ask_two_factor_removal(olga, actor=sam, reason=REASON)
    assert removal is not None
    [told] = smtp.to(olga.email)
    assert "once a second member of our staff has checked the request (so perhaps later)" in smtp.text(told)
    _past_due(removal)
    assert do_carry_out_due_removals(actor="system")["removed"] == 0  # due, not approved: nothing happens
    assert Authenticator.objects.filter(user=olga).exists()

    with pytest.raises(ValidationError, match="not the one who asked for it"):
        do_approve_two_factor_removal(olga, actor=sam)
    assert not JournalEntry.objects.filter(action="accounts.two_factor_removal_approved").exists()
    with commit():
        approved = do_approve_two_factor_removal(olga, actor=pia)  # due already: carried out now
    assert approved is not None and approved.outcome == "removed" and approved.ended_by == pia
    assert approved.approved_by == pia and approved.approved_at is not None
    entry = JournalEntry.objects.get(action="accounts.two_factor_removal_approved")
    assert entry.actor == pia and entry.object_id == str(olga.pk)
    assert set(entry.payload or {}) == {"asked_at", "due_at"}  # the reason is in the first entry alone
    removed = JournalEntry.objects.get(action="accounts.two_factor_removed")
    assert removed.actor == sam  # who asked, as before
    assert not Authenticator.objects.filter(user=olga).exists()
    assert do_approve_two_factor_removal(olga, actor=pia) is None  # nothing open any more


def test_an_approval_before_the_removal_is_due_leaves_it_to_the_job_and_the_owner_can_still_keep_it(
    personas, commit
) -> None:
    from trustdesk.accounts.services import do_approve_two_factor_removal

    olga = personas.olga
    give_totp(olga)
    with commit():
        removal = do_ask_two_factor_removal(olga, actor="user:1", reason=REASON)
    assert removal is not None
    approved = do_approve_two_factor_removal(olga, actor="user:2")
    assert approved is not None and approved.ended_at is None and approved.approved_by == "user:2"
    again = do_approve_two_factor_removal(olga, actor="user:3")  # once approved, it stays as it was
    assert again is not None and again.approved_by == "user:2"
    assert do_carry_out_due_removals(actor="system")["removed"] == 0  # not due yet
    _past_due(removal)
    with commit():
        assert do_carry_out_due_removals(actor="system")["removed"] == 1
    # And a second removal, kept by its owner before it was approved, ends as kept.
    give_totp(olga)
    with commit():
        do_ask_two_factor_removal(olga, actor="user:1", reason=REASON)
    assert do_keep_two_factor(olga) is not None
    assert do_approve_two_factor_removal(olga, actor="user:2") is None


def test_the_database_refuses_an_approval_by_whoever_asked(personas) -> None:
    from django.db import IntegrityError, transaction

    now = timezone.now()
    fields = {"user": personas.olga, "reason": REASON, "created_at": now, "due_at": now}
    for approval in ({"approved_by": "user:1", "approved_at": now}, {"approved_by": "user:2"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            TwoFactorRemoval.objects.create(asked_by="user:1", **fields, **approval)


def test_without_a_second_approval_the_job_removes_it_once_due(personas, smtp, commit, settings) -> None:
    settings.TRUSTDESK_TWO_FACTOR_REMOVAL_SECOND_APPROVAL = False
    olga = personas.olga
    secret = give_totp(olga)
    with commit():
        removal = do_ask_two_factor_removal(olga, actor="user:1", reason=REASON)
    assert removal is not None
    [told] = smtp.to(olga.email)
    assert "or within the hour after." in smtp.text(told) and "second member" not in smtp.text(told)
    landing = _logged_in_with_code(olga.email, secret).get("/account/").content.decode()
    assert "it is removed on" in landing and "second member" not in landing
    _past_due(removal)
    with commit():
        assert do_carry_out_due_removals(actor="system")["removed"] == 1
    removal.refresh_from_db()
    assert removal.approved_at is None and removal.outcome == "removed"
