"""P0.10: staff look at a customer's content only under the customer's recorded instruction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from trustdesk.accounts.models import ContentAccess
from trustdesk.accounts.services import (
    AccountError,
    NoValidInstruction,
    do_record_content_access,
    do_record_instruction,
    do_revoke_instruction,
)
from trustdesk.journal.models import JournalEntry

pytestmark = pytest.mark.django_db


def _instruction(personas, *, given_by=None, start=-1, end=24):
    now = timezone.now()
    return do_record_instruction(
        organisation=personas.bakkerij,
        given_by=given_by or personas.olga.profile.person,
        scope="Look at the mail logs of bakkerij.example to find why mail bounces",
        valid_from=now + dt.timedelta(hours=start),
        valid_until=now + dt.timedelta(hours=end),
        channel="email",
        recorded_by=personas.sam,
    )


def test_it_records_each_access_tied_to_its_instruction(personas) -> None:
    instruction = _instruction(personas)
    access = do_record_content_access(
        instruction, actor=personas.sam, what="/var/log/mail.log of bakkerij.example"
    )
    entry = JournalEntry.objects.get(seq=access.journal_seq)
    assert entry.action == "accounts.content_accessed"
    assert (entry.object_type, entry.object_id) == ("accounts.contentaccessinstruction", str(instruction.pk))
    assert entry.actor == f"user:{personas.sam.pk}"
    recorded = JournalEntry.objects.get(action="accounts.content_instruction.recorded")
    assert recorded.payload is not None
    assert recorded.payload["given_by"] == personas.olga.profile.person.pk


def test_it_refuses_access_without_an_instruction(personas) -> None:
    with pytest.raises(NoValidInstruction, match="no instruction from the customer"):
        do_record_content_access(None, actor=personas.sam, what="the site's files")
    assert not ContentAccess.objects.exists()
    assert not JournalEntry.objects.filter(action="accounts.content_accessed").exists()


@pytest.mark.parametrize(("start", "end"), [(-48, -24), (2, 24)])
def test_it_refuses_access_outside_the_instructions_period(personas, start, end) -> None:
    instruction = _instruction(personas, start=start, end=end)
    with pytest.raises(NoValidInstruction, match="is not valid now"):
        do_record_content_access(instruction, actor=personas.sam, what="the site's files")


def test_it_refuses_access_after_the_customer_revoked_the_instruction(personas) -> None:
    instruction = _instruction(personas)
    do_revoke_instruction(instruction, actor=personas.sam)
    with pytest.raises(NoValidInstruction, match="was revoked"):
        do_record_content_access(instruction, actor=personas.sam, what="the site's files")


def test_it_refuses_access_to_a_customer_and_an_instruction_from_an_outsider(personas) -> None:
    instruction = _instruction(personas)
    with pytest.raises(NoValidInstruction, match="only staff"):
        do_record_content_access(instruction, actor=personas.olga, what="the site's files")
    with pytest.raises(AccountError, match="owner or technical contact"):
        _instruction(personas, given_by=personas.otto.profile.person)
    with pytest.raises(AccountError, match="owner or technical contact"):
        _instruction(personas, given_by=personas.bert.profile.person)  # billing cannot open the content


def test_it_shows_instructions_and_their_accesses_to_staff(client, personas) -> None:
    instruction = _instruction(personas)
    do_record_content_access(instruction, actor=personas.sam, what="/var/log/mail.log")
    client.force_login(personas.pia)
    assert "Bakkerij Jansen BV" in client.get("/console/instructions/").content.decode()
    assert "/var/log/mail.log" in client.get(f"/console/instructions/{instruction.pk}/").content.decode()
    client.force_login(personas.abe)
    assert client.get("/console/instructions/").status_code == 403


def test_it_records_an_instruction_and_an_access_through_the_console(client, personas) -> None:
    client.force_login(personas.sam)
    now = timezone.localtime()
    form = {
        "organisation": personas.bakkerij.pk,
        "given_by": "tess@example.com",
        "scope": "The DNS zone of bakkerij.example",
        "valid_from": (now - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"),
        "valid_until": (now + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "channel": "phone",
    }
    outsider = client.post("/console/instructions/new/", {**form, "given_by": "otto@example.com"})
    assert "No contact of this organisation has this e-mail address." in outsider.content.decode()
    billing = client.post("/console/instructions/new/", {**form, "given_by": "bert@example.com"})
    assert "owner or technical contact" in billing.content.decode()
    done = client.post("/console/instructions/new/", form)
    assert done.status_code == 302
    page = done["Location"]
    assert client.post(page, {"what": "the zone file"}).status_code == 302
    shown = client.get(page).content.decode()
    assert "the zone file" in shown and "The DNS zone of bakkerij.example" in shown
    assert ContentAccess.objects.get().actor == personas.sam
