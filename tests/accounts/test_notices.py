"""Notices to an account's owner that the mail server did not take are kept, sealed, and sent again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.accounts.personas import PASSWORD, log_in
from tests.lib.test_logfilters import logged
from tests.smtp import refusing, smtp
from trustdesk.accounts import notices, sealing
from trustdesk.accounts.models import UnsentNotice

pytestmark = pytest.mark.django_db

__all__ = ["logged", "refusing", "smtp"]

NEW = "another long passphrase 8"


def _change_password(personas) -> None:
    client = Client()
    log_in(client, personas.olga.email)
    client.post("/account/password/change/", {"oldpassword": PASSWORD, "password1": NEW, "password2": NEW})


def test_a_refused_notice_is_kept_sealed_and_sent_at_the_next_run(personas, settings, logged) -> None:
    from tests.smtp import Mailbox, Refusing, _serve

    refuser = _serve(settings, Refusing())
    try:
        _change_password(personas)
    finally:
        refuser.stop()
    [kept] = UnsentNotice.objects.all()
    assert kept.user == personas.olga and kept.template == "account/email/password_changed"
    assert kept.attempts == 1 and kept.last_failure == "SMTPRecipientsRefused 550"
    assert kept.next_attempt_at is not None
    assert dt.timedelta(minutes=14) < kept.next_attempt_at - kept.created_at <= dt.timedelta(minutes=15)
    assert sealing.is_sealed(kept.message)
    assert personas.olga.email not in kept.message and "password" not in kept.message
    assert sealing.opened(kept.message, use=sealing.SESSIONS) is None  # a key of its own
    assert "the e-mail account/email/password_changed is kept to send again" in logged.getvalue()
    assert personas.olga.email not in logged.getvalue()

    # Not due yet: nothing is tried.
    assert notices.do_resend_due() == {"sent": 0, "kept": 0, "given_up": 0}
    box = Mailbox()
    server = _serve(settings, box)
    try:
        later = timezone.now() + dt.timedelta(minutes=16)
        assert notices.do_resend_due(now=later) == {"sent": 1, "kept": 0, "given_up": 0}
    finally:
        server.stop()
    assert not UnsentNotice.objects.exists()
    [notice] = box.to(personas.olga.email)
    assert notice["Subject"] == "A change to your account"
    assert "your password was changed" in box.text(notice)
    assert notice.get_body(preferencelist=("html",)) is not None  # the HTML part too, as first sent


def test_it_waits_twice_as_long_each_time_and_gives_up_after_three_days(personas, refusing, logged) -> None:
    _change_password(personas)
    kept = UnsentNotice.objects.get()
    start = kept.created_at
    waits: list[dt.timedelta] = []
    moment: dt.datetime = kept.next_attempt_at or start
    while True:
        counts = notices.do_resend_due(now=moment)
        kept.refresh_from_db()
        if counts["given_up"]:
            break
        assert counts == {"sent": 0, "kept": 1, "given_up": 0} and kept.next_attempt_at is not None
        waits.append(kept.next_attempt_at - moment)
        moment = kept.next_attempt_at
    assert waits[:5] == [dt.timedelta(minutes=m) for m in (30, 60, 120, 240, 360)]
    assert set(waits[5:]) == {dt.timedelta(hours=6)}
    assert moment - start <= notices.GIVE_UP_AFTER
    assert kept.given_up_at == moment and kept.message == "" and kept.next_attempt_at is None
    assert kept.attempts == len(waits) + 2
    assert f"the notice account/email/password_changed to account {personas.olga.pk} is given up" in (
        logged.getvalue()
    )
    assert notices.do_resend_due(now=moment + dt.timedelta(days=1)) == {"sent": 0, "kept": 0, "given_up": 0}


def test_a_notice_no_key_opens_is_given_up_not_sent(personas, smtp, logged) -> None:
    now = timezone.now()
    row = UnsentNotice.objects.create(
        user=personas.olga,
        template="account/email/password_changed",
        message=sealing.seal('{"to": ["x@example.com"]}', use=sealing.SESSIONS),  # another use's key
        created_at=now,
        next_attempt_at=now,
        last_failure="SMTPRecipientsRefused 550",
    )
    assert notices.do_resend_due() == {"sent": 0, "kept": 0, "given_up": 1}
    row.refresh_from_db()
    assert row.given_up_at is not None and row.last_failure == "SealError" and row.message == ""
    assert smtp.messages == []


def test_the_person_page_tells_staff_of_a_notice_waiting_and_given_up(personas, refusing) -> None:
    from tests.portal.conftest import client_for

    _change_password(personas)
    page = f"/console/people/{personas.olga.profile.person.pk}/"
    shown = client_for(personas.sam).get(page).content.decode()
    assert "Notices not sent" in shown and "1 kept to send again, next at" in shown
    UnsentNotice.objects.update(given_up_at=timezone.now(), next_attempt_at=None, message="")
    shown = client_for(personas.sam).get(page).content.decode()
    assert "tell the owner another way" in shown and "kept to send again" not in shown
    UnsentNotice.objects.update(given_up_at=timezone.now() - dt.timedelta(days=31))
    assert "Notices not sent" not in client_for(personas.sam).get(page).content.decode()


def test_my_data_says_a_kept_notice_is_held_without_showing_it(personas, refusing) -> None:
    from tests.portal.conftest import client_for

    _change_password(personas)
    personas.olga.refresh_from_db()  # the new password's hash signs her session
    answer = client_for(personas.olga).get("/portal/data/")
    assert answer.status_code == 200, answer.get("Location")
    page = answer.content.decode()
    assert "(an e-mail to you that could not be sent yet, kept to send again)" in page
    assert "held sealed, not shown: an e-mail to you that we send again until it goes" in page
    assert UnsentNotice.objects.get().message not in page


def test_a_link_sent_at_once_is_not_kept(personas, refusing) -> None:
    """A reset link that did not go is asked for again by the person: nothing is kept."""
    Client().post("/account/password/reset/", {"email": personas.olga.email})
    assert not UnsentNotice.objects.exists()


def test_staff_record_how_the_owner_was_told_of_a_notice_given_up(personas) -> None:
    from tests.portal.conftest import client_for
    from trustdesk.journal.models import JournalEntry

    olga = personas.olga
    now = timezone.now()
    for template in ("account/email/password_changed", "accounts/email/two_factor_removed"):
        UnsentNotice.objects.create(
            user=olga,
            template=template,
            created_at=now,
            given_up_at=now,
            last_failure="ConnectionRefusedError",
        )
    waiting = UnsentNotice.objects.create(
        user=olga,
        template="account/email/email_deleted",
        created_at=now,
        next_attempt_at=now,
        last_failure="x",
    )
    page = f"/console/people/{olga.profile.person.pk}/"
    told = f"{page}notices/told/"
    support = client_for(personas.sam)
    assert "Record how the owner was told" in support.get(page).content.decode()
    assert client_for(personas.abe).post(told, {"notices-note": "phoned"}).status_code == 403
    refused = support.post(told, {"notices-note": " "})
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    assert UnsentNotice.objects.filter(given_up_at__isnull=False).count() == 2
    done = support.post(told, {"notices-note": "Phoned her on her known number"}, follow=True)
    assert "Recorded: the owner was told another way." in done.content.decode()
    assert list(UnsentNotice.objects.all()) == [waiting]  # the one still being sent stays
    entry = JournalEntry.objects.get(action="accounts.notices_told_otherwise")
    assert entry.actor == f"user:{personas.sam.pk}" and entry.object_id == str(olga.pk)
    payload = entry.payload or {}
    assert payload["note"] == "Phoned her on her known number"
    assert payload["notices"] == ["account/email/password_changed", "accounts/email/two_factor_removed"]
    shown = done.content.decode()
    assert "given up" not in shown and "Record how the owner was told" not in shown
    again = support.post(told, {"notices-note": "again"}, follow=True)
    assert "No notice to this account was given up." in again.content.decode()
    assert JournalEntry.objects.filter(action="accounts.notices_told_otherwise").count() == 1
