"""Giving and withdrawing consent: proof on every event, journal entries, idempotence, clear refusals."""

from __future__ import annotations

import hashlib
import inspect

import pytest

from tests.conftest import POLICY
from tests.consent.conftest import NEWSLETTER, SUPPORT, TEXT_EN, TEXT_NL
from trustdesk.consent.models import ConsentEvent, ConsentImmutable, Kind, Method, State
from trustdesk.consent.queries import has_consent
from trustdesk.consent.services import ConsentError, do_give_consent, do_withdraw_consent
from trustdesk.journal.models import JournalEntry
from trustdesk.journal.verify import verify
from trustdesk.lib.pseudonyms import is_pseudonym, pseudonymise
from trustdesk.registry.models import Channel
from trustdesk.registry.services import Actor

pytestmark = pytest.mark.django_db


def _give(person, **kwargs):
    options = {"actor": SUPPORT, "channel": "email", "method": "email", **kwargs}
    return do_give_consent(person, NEWSLETTER, **options)


def _withdraw(person, **kwargs):
    options = {"actor": SUPPORT, "channel": "email", "method": "email", **kwargs}
    return do_withdraw_consent(person, NEWSLETTER, **options)


def test_it_records_consent_with_its_proof(policy, anna, anna_herself):
    result = do_give_consent(
        anna,
        NEWSLETTER,
        actor=anna_herself,
        channel="portal",
        method="portal",
        evidence="portal-click-8812",
        ip="192.0.2.44",
    )
    assert result.changed
    assert result.state is State.GIVEN
    event = result.event
    assert event is not None
    event.refresh_from_db()
    assert event.person_id == anna.pk
    assert event.purpose == NEWSLETTER
    assert event.kind == Kind.GIVEN
    assert event.policy_version_id == policy.pk
    assert event.text == TEXT_NL  # Anna's language
    assert event.lang == "nl"
    assert event.text_sha256 == hashlib.sha256(TEXT_NL.encode()).hexdigest()
    assert (event.channel, event.method) == ("portal", "portal")
    assert event.recorded_by == f"person:{anna.pk}"
    assert event.evidence == "portal-click-8812"


def test_it_keeps_the_ip_address_only_as_a_keyed_pseudonym(policy, anna, bob):
    event = _give(anna, ip="192.0.2.44").event
    assert event is not None
    assert "192.0.2.44" not in event.ip_pseudonym
    assert is_pseudonym(event.ip_pseudonym)
    assert event.ip_pseudonym == pseudonymise("192.0.2.44", kind="ip")
    stored = ConsentEvent.objects.filter(pk=event.pk).values_list("ip_pseudonym", flat=True).get()
    assert stored == event.ip_pseudonym
    assert _give(bob, ip="192.0.2.44").event.ip_pseudonym == event.ip_pseudonym  # linkable, not readable
    assert _give(anna, text="Other text", ip="192.0.2.45").event.ip_pseudonym != event.ip_pseudonym


def test_it_refuses_a_value_that_is_no_ip_address_without_echoing_it(policy, anna):
    with pytest.raises(ConsentError) as caught:
        _give(anna, ip="anna@bakkerij.example")
    assert "anna" not in str(caught.value)
    assert not ConsentEvent.objects.exists()


def test_it_uses_the_language_asked_then_the_persons_then_the_policys_first(policy, anna, bob):
    assert _give(bob).event.text == TEXT_EN  # no language recorded: English
    assert _give(anna, lang="en").event.text == TEXT_EN
    _withdraw(anna)
    event = _give(anna, lang="de").event  # no German text: the policy's first language
    assert (event.text, event.lang) == (TEXT_EN, "en")


def test_it_records_the_text_the_caller_showed(policy, bob):
    shown = "Ja, ik wil de nieuwsbrief (papieren formulier, versie 3)."
    event = _give(bob, text=shown, channel="letter", method="letter", evidence="scan-2026-114").event
    assert event.text == shown
    assert event.text_sha256 == hashlib.sha256(shown.encode()).hexdigest()


def test_it_refuses_a_language_code_too_long_to_store(policy, bob):
    with pytest.raises(ConsentError, match="language code must have 1 to 10 characters"):
        _give(bob, lang="nederlands-belgie")


def test_it_refuses_an_empty_text(policy, bob):
    with pytest.raises(ConsentError, match="consent text for purpose 'newsletter' is empty"):
        _give(bob, text="  ")


def test_it_journals_giving_with_references_only_in_the_core(policy, anna):
    event = _give(anna, evidence="msg-77@mail").event
    entry = JournalEntry.objects.get(action="consent.given")
    assert (entry.actor, entry.object_type, entry.object_id) == (
        SUPPORT.ref,
        "consent.consentevent",
        str(event.pk),
    )
    assert entry.payload == {
        "person": anna.pk,
        "purpose": NEWSLETTER,
        "policy_version": 1,
        "text_sha256": event.text_sha256,
        "lang": "nl",
        "channel": "email",
        "method": "email",
        "evidence": "msg-77@mail",
    }
    _withdraw(anna)
    assert (
        JournalEntry.objects.filter(action="consent.withdrawn", object_type="consent.consentevent").count()
        == 1
    )
    assert verify().ok


def test_it_withdraws_at_once_keeping_what_was_withdrawn(policy, anna):
    given = _give(anna).event
    assert has_consent(anna, NEWSLETTER)
    result = _withdraw(anna, channel="phone", method="letter")
    assert result.changed and result.state is State.WITHDRAWN
    assert not has_consent(anna, NEWSLETTER)
    withdrawn = result.event
    assert withdrawn.kind == Kind.WITHDRAWN
    assert (withdrawn.text, withdrawn.text_sha256, withdrawn.lang) == (given.text, given.text_sha256, "nl")
    assert (withdrawn.channel, withdrawn.method) == ("phone", "letter")


def test_it_records_nothing_when_consent_is_given_twice(policy, anna):
    first = _give(anna)
    again = _give(anna, channel="portal", method="portal")
    assert not again.changed
    assert again.state is State.GIVEN
    assert again.event == first.event
    assert "already given" in again.note
    assert ConsentEvent.objects.count() == 1
    assert JournalEntry.objects.filter(action="consent.given").count() == 1


def test_it_records_a_new_consent_for_a_new_text(policy, anna):
    _give(anna)
    renewed = _give(anna, text="Yes, send me the newsletter and the product updates.")
    assert renewed.changed
    assert ConsentEvent.objects.filter(kind=Kind.GIVEN).count() == 2


def test_it_records_nothing_when_withdrawing_a_consent_never_given(policy, anna):
    result = _withdraw(anna)
    assert not result.changed
    assert result.state is State.NEVER
    assert result.event is None
    assert "never given" in result.note
    assert not ConsentEvent.objects.exists()
    assert not JournalEntry.objects.filter(action__startswith="consent.").exists()


def test_it_records_nothing_when_withdrawing_twice(policy, anna):
    _give(anna)
    first = _withdraw(anna)
    again = _withdraw(anna)
    assert not again.changed
    assert again.state is State.WITHDRAWN
    assert again.event == first.event
    assert "already withdrawn" in again.note
    assert ConsentEvent.objects.count() == 2


def test_it_gives_again_after_a_withdrawal(policy, anna):
    _give(anna)
    _withdraw(anna)
    assert _give(anna).changed
    assert has_consent(anna, NEWSLETTER)
    assert list(ConsentEvent.objects.values_list("kind", flat=True)) == ["given", "withdrawn", "given"]


def test_it_keeps_consents_per_person(policy, anna, bob):
    _give(anna)
    assert has_consent(anna, NEWSLETTER)
    assert not has_consent(bob, NEWSLETTER)


def test_it_refuses_a_purpose_not_on_consent_naming_it(policy, anna):
    with pytest.raises(ConsentError, match="purpose 'invoicing' rests on legal_obligation, not on consent"):
        do_give_consent(anna, "invoicing", actor=SUPPORT, channel="email", method="email")
    with pytest.raises(ConsentError, match="'invoicing'"):
        do_withdraw_consent(anna, "invoicing", actor=SUPPORT, channel="email", method="email")
    assert not ConsentEvent.objects.exists()


def test_it_refuses_a_purpose_the_policy_lacks_listing_those_on_consent(policy, anna):
    with pytest.raises(ConsentError, match=r"has no purpose 'newsletters'; purposes on consent: newsletter"):
        do_give_consent(anna, "newsletters", actor=SUPPORT, channel="email", method="email")


def test_it_refuses_consent_when_no_policy_is_in_effect(anna):
    with pytest.raises(ConsentError, match="no policy is in effect, so consent to purpose 'newsletter'"):
        _give(anna)


def test_it_asks_for_the_text_when_the_policy_has_none(publish, anna):
    publish(POLICY)  # its newsletter has a withdrawal but no consent text
    with pytest.raises(ConsentError, match=r"purpose 'newsletter' has no consent\.text"):
        _give(anna)
    assert _give(anna, text="Yes, the newsletter please.").changed


def test_it_lets_a_consent_be_withdrawn_after_its_purpose_left_the_policy(publish, anna):
    first = publish(POLICY)
    _give(anna, text="Yes, the newsletter please.")
    start, end = POLICY.index("  newsletter:\n"), POLICY.index("rights:\n")
    second = publish(POLICY[:start] + POLICY[end:])
    result = _withdraw(anna)
    assert result.changed
    assert result.event.policy_version == second
    assert result.event.text_sha256 == ConsentEvent.objects.get(kind="given").text_sha256
    assert ConsentEvent.objects.get(kind="given").policy_version == first
    with pytest.raises(ConsentError, match="has no purpose 'newsletter'"):
        _give(anna, text="Yes, the newsletter please.")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"channel": "pigeon"}, "channel 'pigeon' is not one of website, portal"),
        ({"method": "telepathy"}, "method 'telepathy' is not one of form, email, portal, api, letter"),
        ({"evidence": "x" * 301}, "evidence reference is longer than 300 characters"),
        ({"actor": Actor(ref="api-token:" + "7" * 91)}, "actor reference is longer than 100 characters"),
    ],
)
def test_it_refuses_an_unknown_channel_or_method(policy, anna, change, message):
    with pytest.raises(ConsentError, match=message):
        _give(anna, **change)
    with pytest.raises(ConsentError, match=message):
        _withdraw(anna, **change)


def test_it_leaves_nothing_behind_when_the_journal_refuses_the_entry(policy, anna):
    with pytest.raises(ValueError, match="is not a reference"):
        _give(anna, actor=Actor(ref="Anna Jansen"))
    assert not ConsentEvent.objects.exists()
    assert not has_consent(anna, NEWSLETTER)


def test_it_never_changes_a_recorded_event(policy, anna):
    event = _give(anna).event
    event.kind = Kind.WITHDRAWN
    with pytest.raises(ConsentImmutable, match=f"consent event {event.pk} is evidence"):
        event.save()
    assert has_consent(anna, NEWSLETTER)


def test_it_withdraws_with_the_same_call_and_options_as_giving(policy, anna):
    give = inspect.signature(do_give_consent).parameters
    withdraw = inspect.signature(do_withdraw_consent).parameters
    # Giving only adds the text shown; everything a withdrawal needs, giving needed too.
    assert set(give) - set(withdraw) == {"text", "lang"}
    assert set(withdraw) <= set(give)
    for channel in Channel.values:
        for method in Method.values:
            options = {"actor": SUPPORT, "channel": channel, "method": method}
            assert do_give_consent(anna, NEWSLETTER, **options).changed
            assert has_consent(anna, NEWSLETTER)
            assert do_withdraw_consent(anna, NEWSLETTER, **options).changed
            assert not has_consent(anna, NEWSLETTER), (channel, method)
