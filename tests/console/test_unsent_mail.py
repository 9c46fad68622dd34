"""An e-mail of a request that could not be sent: noted on the request, counted and marked in the queue,
listed on the request's page until staff record how the person was told; a link sent again."""

from __future__ import annotations

import re

import pytest

from tests.console.conftest import Desk
from tests.console.test_request_page import _url
from tests.smtp import Mailbox, RefusingFirst, refusing, refusing_first, smtp
from trustdesk.lib import mail
from trustdesk.registry.models import Person
from trustdesk.rights import services
from trustdesk.rights.models import Request, Status

pytestmark = pytest.mark.django_db(transaction=True)  # e-mail goes when a real transaction commits


def _open_unsent(desk: Desk) -> Request:
    with mail.reporting() as failures:
        request = desk.open("access")
    assert [f.references for f in failures] == [(request.reference,)]
    request.refresh_from_db()
    return request


def test_a_request_whose_e_mail_failed_is_marked_until_staff_record_how_the_person_was_told(
    desk: Desk, refusing: None
) -> None:
    request = _open_unsent(desk)
    sam = desk.client("sam")
    # The link to confirm identity fails too: staff go on to the request's page, told so.
    answer = sam.post(_url(request, "ask-identity"), {"ask-identity-note": ""}, follow=True)
    assert answer.redirect_chain == [(_url(request), 302)]
    assert "Done and recorded, but an e-mail to the person could not be sent." in answer.content.decode()
    request.refresh_from_db()
    assert request.status == Status.AWAITING_IDENTITY and request.mail_failed_at is not None

    queue = sam.get("/console/requests/")
    assert queue.context["counts"].unsent == 1
    assert "1 request with an e-mail not sent" in queue.content.decode()
    (row,) = [r for r in queue.context["rows"] if r["reference"] == request.reference]
    assert '<span class="tone tone-red">e-mail not sent</span>' in row["html"]
    assert [r["reference"] for r in sam.get("/console/requests/", {"unsent": "on"}).context["rows"]] == [
        request.reference
    ]

    page = sam.get(_url(request))
    html = page.content.decode()
    assert 'id="unsent-notice"' in html
    assert [line["what"] for line in page.context["unsent"]] == [
        "the acknowledgement",
        "the link to confirm identity",
    ]
    assert all(line["why"] == "SMTPRecipientsRefused 550" for line in page.context["unsent"])
    offered = [a["name"] for a in page.context["actions"]]
    assert "send-link" in offered and "mail-handled" in offered
    assert desk.client("abe").post(_url(request, "mail-handled"), {}).status_code == 403

    # Recording it needs a note: how the person was told.
    refused = sam.post(_url(request, "mail-handled"), {"mail-handled-note": "  "})
    assert refused.status_code == 400
    request.refresh_from_db()
    assert request.mail_failed_at is not None
    told = sam.post(_url(request, "mail-handled"), {"mail-handled-note": "Phoned Bob; he will call back."})
    assert told.status_code == 302
    request.refresh_from_db()
    assert request.mail_failed_at is None
    assert request.events.get(action="mail_handled").note == "Phoned Bob; he will call back."
    page = sam.get(_url(request))
    assert page.context["unsent"] == [] and 'id="unsent-notice"' not in page.content.decode()
    assert "mail-handled" not in [a["name"] for a in page.context["actions"]]
    assert sam.get("/console/requests/").context["counts"].unsent == 0
    # A second record is refused: there is nothing left to record.
    again = sam.post(_url(request, "mail-handled"), {"mail-handled-note": "Again."})
    assert again.status_code == 400 and "has no e-mail that was not sent" in again.content.decode()


def test_a_link_is_sent_again_and_confirms_identity(desk: Desk, smtp: Mailbox) -> None:
    request = desk.open("access")
    services.do_ask_identity(request, actor=services.SYSTEM)
    sam = desk.client("sam")
    assert sam.post(_url(request, "send-link"), {"send-link-note": "Not received"}).status_code == 302
    links = [
        re.search(r"https?://\S+/privacy/request/confirm/\S+", Mailbox.text(m))
        for m in smtp.to("bob@jansen.example")
    ]
    assert len([link for link in links if link]) == 2  # the first link and the new one
    assert request.events.filter(action="link_sent_again").get().note == "Not received"
    new = links[-1]
    assert new is not None
    token = new.group(0).rstrip("/").rsplit("/", 1)[-1]
    made, what = services.do_confirm_link(token)
    assert what == "identity" and made.pk == request.pk
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS
    # In progress, the request waits for no link.
    assert "send-link" not in [a["name"] for a in sam.get(_url(request)).context["actions"]]
    refused = sam.post(_url(request, "send-link"), {"send-link-note": ""})
    assert refused.status_code == 400 and "it waits for no link" in refused.content.decode()


def test_a_new_link_that_goes_clears_the_mark_of_the_link_that_did_not(
    desk: Desk, refusing_first: RefusingFirst
) -> None:
    with mail.unsent():  # the acknowledgement is not what this test is about
        request = desk.open("access")
    with mail.reporting() as failures:  # the server refuses the first link, for a while
        services.do_ask_identity(request, actor=services.SYSTEM)
    assert len(failures) == 1
    request.refresh_from_db()
    assert request.mail_failed_at is not None

    sam = desk.client("sam")
    assert sam.post(_url(request, "send-link"), {"send-link-note": "Server was down"}).status_code == 302
    assert len(refusing_first.to("bob@jansen.example")) == 1  # the new link arrived
    request.refresh_from_db()
    assert request.mail_failed_at is None
    assert not request.events.filter(action="mail_handled").exists()  # nobody was told another way
    settled = request.events.get(action="link_replaced")
    assert settled.actor == "system"
    assert settled.note == "rights/email/confirm_identity: a new link was sent and accepted"
    page = sam.get(_url(request))
    assert page.context["unsent"] == [] and "mail-handled" not in [a["name"] for a in page.context["actions"]]
    assert "new link replaced the links not sent" in page.content.decode()
    assert sam.get("/console/requests/").context["counts"].unsent == 0


def test_a_new_link_leaves_the_mark_of_another_e_mail_not_sent(
    desk: Desk, refusing_first: RefusingFirst
) -> None:
    with mail.reporting() as failures:  # the server refuses the acknowledgement
        request = desk.open("access")
    assert len(failures) == 1
    assert Request.objects.get(pk=request.pk).mail_failed_at is not None
    # The link goes; the caller's copy of the request, older than the mark, does not clear it.
    services.do_ask_identity(request, actor=services.SYSTEM)
    assert len(refusing_first.to("bob@jansen.example")) == 1
    request.refresh_from_db()
    assert request.mail_failed_at is not None  # the person still lacks the acknowledgement
    assert not request.events.filter(action__in=("mail_handled", "link_replaced")).exists()
    page = desk.client("sam").get(_url(request))
    assert [line["what"] for line in page.context["unsent"]] == ["the acknowledgement"]


def test_no_link_is_sent_again_without_an_address(desk: Desk) -> None:
    request = desk.open("access", channel="letter")
    services.do_ask_identity(request, actor=services.SYSTEM)
    # A letter from someone on record without an address (the address is cleared here to make one).
    Request.objects.filter(pk=request.pk).update(email="")
    Person.objects.filter(pk=desk.people.bob.pk).update(email="")
    refused = desk.client("sam").post(_url(request, "send-link"), {"send-link-note": ""})
    assert refused.status_code == 400
    assert "has no e-mail address to send a link to" in refused.content.decode()
    assert not request.events.filter(action="link_sent_again").exists()


__all__ = ["refusing", "refusing_first", "smtp"]
