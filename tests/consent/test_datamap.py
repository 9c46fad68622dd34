"""Consent events on the data map: declared, collected with the person's data, deleted by erasure."""

from __future__ import annotations

import pytest

from tests.consent.conftest import NEWSLETTER, SUPPORT
from trustdesk.consent.models import ConsentEvent
from trustdesk.consent.queries import current_consents, has_consent
from trustdesk.consent.services import do_give_consent, do_withdraw_consent
from trustdesk.journal.models import JournalEntry
from trustdesk.journal.verify import verify
from trustdesk.lib.datamap import Erasure, model_map, undeclared
from trustdesk.registry.datamap_ops import collect, erase, reaches

pytestmark = pytest.mark.django_db

EMAIL = {"actor": SUPPORT, "channel": "email", "method": "email"}


def test_it_declares_every_field_of_consent_events():
    assert [name for name in undeclared() if name.startswith("consent.")] == []
    mapping = model_map(ConsentEvent)
    assert mapping is not None
    assert mapping.subject_path == "person"
    assert {name: f.erasure for name, f in mapping.personal.items()} == {
        "text": Erasure.DELETE_ROW,
        "evidence": Erasure.DELETE_ROW,
        "ip_pseudonym": Erasure.DELETE_ROW,
    }


def test_it_reaches_consent_events_from_the_person():
    found = {reach.label: reach for reach in reaches()}
    assert found["consent.consentevent"].subject == "person"


def test_it_collects_the_persons_consent_events_and_their_journal(policy, anna, bob):
    given = do_give_consent(anna, NEWSLETTER, evidence="msg-1", ip="198.51.100.7", **EMAIL).event
    withdrawn = do_withdraw_consent(anna, NEWSLETTER, **EMAIL).event
    do_give_consent(bob, NEWSLETTER, **EMAIL)
    data = collect(anna)
    rows = data["records"]["consent.consentevent"]
    assert [row["pk"] for row in rows] == [given.pk, withdrawn.pk]
    assert all(row["about"] == "person" for row in rows)
    fields = rows[0]["fields"]
    assert fields["purpose"] == NEWSLETTER
    assert fields["kind"] == "given"
    assert fields["text"] == given.text
    assert fields["evidence"] == "msg-1"
    assert fields["ip_pseudonym"] == given.ip_pseudonym
    assert "198.51.100.7" not in str(data)
    journal = [
        (e["action"], e["object_id"])
        for e in data["records"]["journal.journalentry"]
        if e["object_type"] == "consent.consentevent"
    ]
    assert journal == [("consent.given", str(given.pk)), ("consent.withdrawn", str(withdrawn.pk))]


def test_it_deletes_consent_events_on_erasure_and_clears_their_journal_payloads(policy, anna, bob):
    given = do_give_consent(anna, NEWSLETTER, evidence="msg-1", **EMAIL).event
    do_give_consent(bob, NEWSLETTER, **EMAIL)
    report = erase(anna, actor=SUPPORT)
    assert report.counts["consent.consentevent"] == {"deleted": 1}
    assert not ConsentEvent.objects.filter(person=anna).exists()
    assert not has_consent(anna, NEWSLETTER)
    assert current_consents(anna)[NEWSLETTER].since is None
    assert has_consent(bob, NEWSLETTER)  # the colleague's consent stays
    entry = JournalEntry.objects.get(action="consent.given", object_id=str(given.pk))
    assert entry.payload is None  # the core remains: an event was recorded then, by whom
    assert entry.actor == SUPPORT.ref
    assert verify().ok
    assert "consent.consentevent" not in collect(anna)["records"]
