"""Where a person's consents stand, whether one is given, their history, and who may be mailed."""

from __future__ import annotations

import pytest

from tests.consent.conftest import NEWSLETTER, SUPPORT, TEXT_NL
from trustdesk.consent.models import State
from trustdesk.consent.queries import (
    ConsentState,
    consent_history,
    current_consents,
    has_consent,
    people_with_consent,
)
from trustdesk.consent.services import do_give_consent, do_withdraw_consent

pytestmark = pytest.mark.django_db

EMAIL = {"actor": SUPPORT, "channel": "email", "method": "email"}


def test_it_shows_never_for_each_purpose_on_consent_without_events(policy, anna):
    assert current_consents(anna) == {NEWSLETTER: ConsentState(purpose=NEWSLETTER, state=State.NEVER)}
    assert not current_consents(anna)[NEWSLETTER].given
    assert not has_consent(anna, NEWSLETTER)


def test_it_shows_a_given_consent_since_when_under_which_version_and_text(policy, anna):
    event = do_give_consent(anna, NEWSLETTER, **EMAIL).event
    state = current_consents(anna)[NEWSLETTER]
    assert state.given
    assert state.state is State.GIVEN
    assert state.since == event.at
    assert state.policy_version == policy.number
    assert state.text == TEXT_NL
    assert state.text_sha256 == event.text_sha256
    assert state.event_id == event.pk


def test_it_shows_the_withdrawal_as_the_current_state(policy, anna):
    do_give_consent(anna, NEWSLETTER, **EMAIL)
    withdrawn = do_withdraw_consent(anna, NEWSLETTER, **EMAIL).event
    state = current_consents(anna)[NEWSLETTER]
    assert state.state is State.WITHDRAWN
    assert state.since == withdrawn.at
    assert state.event_id == withdrawn.pk
    assert not has_consent(anna, NEWSLETTER)


def test_it_keeps_purposes_with_events_that_left_the_policy(publish, anna):
    from tests.conftest import POLICY

    publish(POLICY)
    do_give_consent(anna, NEWSLETTER, text="Yes, the newsletter please.", **EMAIL)
    start, end = POLICY.index("  newsletter:\n"), POLICY.index("rights:\n")
    publish(POLICY[:start] + POLICY[end:])
    assert current_consents(anna)[NEWSLETTER].given
    assert has_consent(anna, NEWSLETTER)  # until it is withdrawn; the purpose's processing is gone


def test_it_lists_the_history_oldest_first(policy, anna, bob):
    do_give_consent(anna, NEWSLETTER, **EMAIL)
    do_withdraw_consent(anna, NEWSLETTER, **EMAIL)
    do_give_consent(anna, NEWSLETTER, channel="portal", method="portal", actor=SUPPORT)
    do_give_consent(bob, NEWSLETTER, **EMAIL)
    history = consent_history(anna)
    assert [(e.kind, e.channel) for e in history] == [
        ("given", "email"),
        ("withdrawn", "email"),
        ("given", "portal"),
    ]
    assert consent_history(anna, "other") == []
    assert len(consent_history(bob, NEWSLETTER)) == 1


def test_it_finds_the_people_whose_consent_stands(policy, anna, bob):
    do_give_consent(anna, NEWSLETTER, **EMAIL)
    do_give_consent(bob, NEWSLETTER, **EMAIL)
    assert set(people_with_consent(NEWSLETTER)) == {anna, bob}
    do_withdraw_consent(bob, NEWSLETTER, **EMAIL)
    assert list(people_with_consent(NEWSLETTER)) == [anna]
    assert list(people_with_consent("other")) == []
