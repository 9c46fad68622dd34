"""Promises kept by the policy, its check and its published statement.

The example policies model the seed statements (see docs/policies.md); each test
works on the one whose seed made the promise.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import EXAMPLES, POLICY
from tests.policy.test_examples import OSCART_BASES
from trustdesk.lib.durations import Duration
from trustdesk.policy.lint import lint
from trustdesk.policy.loader import LoadedPolicy, load_file, load_text
from trustdesk.policy.queries import version_in_effect
from trustdesk.policy.render import render_statement
from trustdesk.policy.schema import LegalBasis


def _example(name: str) -> LoadedPolicy:
    return load_file(EXAMPLES / name)


def _codes(loaded: LoadedPolicy) -> list[str]:
    return [f.code for f in lint(loaded)]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'").replace("&quot;", '"')


@pytest.mark.promise("P0.12")
@pytest.mark.django_db
def test_it_applies_changes_from_publication_and_links_the_statement_everywhere(
    client: Client, publish
) -> None:
    text = (EXAMPLES / "dutch-hosting-nl.yaml").read_text(encoding="utf-8")
    first = publish(text)
    later = timezone.localdate() + dt.timedelta(days=30)
    changed = text.replace("attempts: 5", "attempts: 4")
    assert changed != text
    second = publish(changed, effective=later)
    # Until its publication date the change does not apply; from that day it does.
    assert version_in_effect() == first
    assert version_in_effect(later - dt.timedelta(days=1)) == first
    assert version_in_effect(later) == second
    page = _text(client.get("/privacy?lang=en").content.decode())
    assert "After 5 incorrect log-in attempts" in page
    assert f"A new version (2) takes effect on {later.day} " in page
    # The statement is reachable from every page.
    for url in ["/", "/privacy", "/privacy/versions", "/privacy/versions/2", "/privacy/versions/1/compare/2"]:
        html = client.get(url).content.decode()
        footer = html[html.index("<footer") :]
        assert 'href="/privacy"' in footer, url


@pytest.mark.promise("P3.12")
def test_it_declares_no_automated_decisions_and_checks_it() -> None:
    loaded = _example("oscart-be.yaml")
    assert all(purpose.profiling is None for purpose in loaded.policy.purposes.values())
    assert "We do not use automated decision-making or profiling." in _text(
        render_statement(loaded.policy, "en", "html")
    )
    assert "geautomatiseerde" in _text(render_statement(loaded.policy, "nl", "html"))
    # Checked against the policy: a purpose whose data use is profiling must declare it.
    profiling = loaded.source.text.replace(
        "data_use: marketing.communications.email", "data_use: personalize.profiling", 1
    )
    assert profiling != loaded.source.text
    assert "TD125" in _codes(load_text(profiling, "oscart-profiling.yaml"))
    assert "TD125" not in _codes(loaded)


@pytest.mark.promise("P3.13")
def test_it_names_the_supervisory_authority_with_its_details() -> None:
    loaded = _example("oscart-be.yaml")
    authority = loaded.policy.authority()
    assert authority is not None
    english = _text(render_statement(loaded.policy, "en", "html"))
    assert "lodge a complaint with the supervisory authority" in english
    assert "Drukpersstraat 35" in english
    assert "klacht in te dienen bij de toezichthoudende autoriteit" in _text(
        render_statement(loaded.policy, "nl", "html")
    )
    # A controller whose country has no built-in authority must name one.
    french = POLICY.replace("country: BE", "country: FR", 1)
    assert "TD123" in _codes(load_text(french, "fr.yaml"))
    assert "TD123" not in _codes(load_text(POLICY, "be.yaml"))


@pytest.mark.promise("P3.14")
@pytest.mark.django_db
def test_it_carries_the_last_modified_date_and_announces_changes(client: Client, publish) -> None:
    version = publish()
    page = _text(client.get("/privacy?lang=en").content.decode())
    day = version.effective_from
    assert f"This statement applies from {day.day} {day:%B} {day.year}" in page
    assert "We announce every change on this website before it takes effect." in page
    dutch = _text(client.get("/privacy?lang=nl").content.decode())
    assert "Elke wijziging kondigen we vooraf aan op deze website." in dutch
    # A coming change is announced on the statement before it applies.
    coming = timezone.localdate() + dt.timedelta(days=7)
    publish(POLICY.replace("attempts: 5", "attempts: 6"), effective=coming)
    page = _text(client.get("/privacy?lang=en").content.decode())
    assert f"A new version (2) takes effect on {coming.day} " in page


@pytest.mark.promise("P4.7")
@pytest.mark.django_db
def test_it_invites_contact_first_and_names_the_authority(client: Client, publish) -> None:
    publish((EXAMPLES / "dutch-hosting-nl.yaml").read_text(encoding="utf-8"))
    dutch = _text(client.get("/privacy?lang=nl").content.decode())
    assert "neem dan eerst contact met ons op" in dutch
    assert "Autoriteit Persoonsgegevens" in dutch
    assert "2509 AJ Den Haag" in dutch
    english = _text(client.get("/privacy?lang=en").content.decode())
    assert "please contact us first" in english
    assert "You also have the right to lodge a complaint with the supervisory authority" in english


#: Seed 003: "For users of the platform" and "For persons in (in)direct contact with employees".
CONTACT_KEYS = (
    "answering_questions",
    "prospecting",
    "quotations_and_invoices",
    "sending_quotations",
    "file_management",
)
CONTACT_PURPOSES = {key: OSCART_BASES[key] for key in CONTACT_KEYS}
PLATFORM_PURPOSES = {key: bases for key, bases in OSCART_BASES.items() if key not in CONTACT_KEYS}


def _bases_in_statement(loaded: LoadedPolicy, purposes: dict[str, list[str]]) -> None:
    english = _text(render_statement(loaded.policy, "en", "html"))
    for key, bases in purposes.items():
        purpose = loaded.policy.purposes[key]
        assert [b.value for b in purpose.legal_basis] == bases, key
        assert purpose.name.get("en") in english, key
        for basis in bases:
            assert f"Art. 6(1)({LegalBasis(basis).letter}) GDPR" in english, key


@pytest.mark.promise("P3.1")
def test_it_declares_each_purpose_with_its_legal_ground() -> None:
    loaded = _example("oscart-be.yaml")
    _bases_in_statement(loaded, PLATFORM_PURPOSES)
    # "Blocking accounts after X incorrect log-in attempts": X comes from the policy, not the code.
    attempts = loaded.policy.security.lockout.attempts
    assert f"After {attempts} incorrect log-in attempts" in _text(
        render_statement(loaded.policy, "en", "html")
    )
    three = load_text(loaded.source.text.replace(f"attempts: {attempts}", "attempts: 3"), "x.yaml")
    assert "After 3 incorrect log-in attempts" in _text(render_statement(three.policy, "en", "html"))
    # Every legitimate interest names the interest; every consent says how to withdraw it.
    codes = _codes(loaded)
    assert "TD110" not in codes
    assert "TD122" not in codes


@pytest.mark.promise("P3.2")
def test_it_declares_contact_persons_data_and_purposes() -> None:
    loaded = _example("oscart-be.yaml")
    _bases_in_statement(loaded, CONTACT_PURPOSES)
    categories = set(loaded.policy.purposes["prospecting"].data_categories)
    for category in [
        "user.name",
        "user.contact.email",
        "user.contact.address",
        "user.contact.phone_number",
        "user.contact.organization",
        "user.job_title",
    ]:
        assert any(c == category or c.startswith(category + ".") for c in categories), category
    assert "contact_person" in loaded.policy.purposes["prospecting"].data_subjects or any(
        s in loaded.policy.purposes["prospecting"].data_subjects for s in ("prospect", "customer")
    )
    # The seed gives 'consent and agreement' for quotations and invoices: lint asks to split it.
    findings = [f for f in lint(loaded) if f.code == "TD111"]
    assert [f.key for f in findings] == ["purposes.quotations_and_invoices.legal_basis"]


@pytest.mark.promise("P3.8")
def test_it_sets_retention_per_purpose_with_legal_periods() -> None:
    loaded = _example("dutch-hosting-nl.yaml")
    assert "TD120" not in _codes(loaded)
    periods = {key: p.retention for key, p in loaded.policy.purposes.items()}
    assert all(retention is not None for retention in periods.values())
    assert len({(r.period, r.from_) for r in periods.values() if r}) > 1  # set per purpose, not one for all
    invoices = (
        periods["invoice_retention"]
        if "invoice_retention" in periods
        else next(r for r in periods.values() if r and r.from_.value == "end_of_fiscal_year_of_invoice")
    )
    assert invoices is not None
    assert invoices.period == Duration(years=7)
    assert invoices.legal_reason is not None
    english = _text(render_statement(loaded.policy, "en", "html"))
    assert "seven years after the end of the fiscal year of the invoice" in english
    assert "zeven jaar na het einde van het boekjaar van de factuur" in _text(
        render_statement(loaded.policy, "nl", "html")
    )
    # A purpose without retention is an error: the seed of oscart-be sets none.
    assert "TD120" in _codes(_example("oscart-be.yaml"))


@pytest.mark.promise("P2.15")
@pytest.mark.django_db
def test_it_records_the_providers_role_for_the_data_customers_store(client: Client, publish) -> None:
    # Seed 002: "we are neither the data processor nor data controller" for what customers store.
    neither = _example("openitc-uk.yaml")
    assert neither.policy.customer_content is not None and neither.policy.customer_content.role == "neither"
    english = _text(render_statement(neither.policy, "en", "html"))
    assert "we are neither controller nor processor: we only provide the infrastructure" in english
    dutch = _text(render_statement(neither.policy, "nl", "html"))
    assert "zijn wij noch verwerkingsverantwoordelijke noch verwerker" in dutch
    # A published version records its role for good, and the statement in effect states it.
    published = publish((EXAMPLES / "dutch-hosting-nl.yaml").read_text(encoding="utf-8"))
    content = published.loaded.policy.customer_content
    assert content is not None and content.role == "processor"
    page = _text(client.get("/privacy?lang=en").content.decode())
    assert "you are the controller and we are your processor" in page
    # A processor must also promise to tell its customers of a breach of that data.
    text = (EXAMPLES / "dutch-hosting-nl.yaml").read_text(encoding="utf-8")
    assert "notify_customers: true" in text
    silent = load_text(text.replace("notify_customers: true", "notify_customers: false"), "policy.yaml")
    assert "TD153" in _codes(silent)


@pytest.mark.promise("P2.14")
def test_it_states_encrypted_daily_backups_at_several_locations_and_how_long_they_keep_data() -> None:
    loaded = _example("openitc-uk.yaml")
    backups = loaded.policy.security.backups
    assert backups is not None
    assert (backups.frequency, backups.encrypted, backups.locations) == ("daily", True, 3)
    english = _text(render_statement(loaded.policy, "en", "html"))
    assert "We make encrypted daily backups, kept at three separate locations." in english
    assert "data we delete disappears from every backup within 30 days" in english
    # Without a period, erasure would have no known end in the backups: the check says so.
    assert "TD162" not in _codes(loaded)
    text = (EXAMPLES / "openitc-uk.yaml").read_text(encoding="utf-8")
    without = load_text(text.replace("    retention: P30D  # not stated in the seed", "    #"), "policy.yaml")
    assert "TD162" in _codes(without)


@pytest.mark.promise("P3.3")
@pytest.mark.django_db
def test_it_processes_only_the_data_its_purposes_need_and_asks_consent_where_needed(
    publish, operator
) -> None:
    from trustdesk.consent.queries import has_consent, people_with_consent
    from trustdesk.consent.services import do_give_consent, do_withdraw_consent
    from trustdesk.lib.datamap import Entry, Erasure
    from trustdesk.policy.datamap_check import check_against_datamap
    from trustdesk.policy.services import PublishRefused
    from trustdesk.registry.models import Person
    from trustdesk.registry.services import do_create

    text = (EXAMPLES / "starter.yaml").read_text(encoding="utf-8")
    loaded = load_text(text, "starter.yaml")
    # A field whose data a purpose needs passes the check against the data map; a field holding data
    # that no purpose needs is an error of that check,
    email = Entry("registry.person", "email", "user.contact.email", Erasure.CLEAR, "")
    assert [f for f in check_against_datamap(loaded, [email]) if f.code == "TD190"] == []
    extra = Entry("registry.person", "shoe_size", "user.biometric", Erasure.CLEAR, "")
    [uncovered] = [f for f in check_against_datamap(loaded, [email, extra]) if f.code == "TD190"]
    assert "user.biometric (registry.person.shoe_size)" in uncovered.message
    # while a category the policy declares and no purpose uses is flagged by lint.
    unused = text.replace(
        "taxonomy:\n  data_categories:\n",
        "taxonomy:\n  data_categories:\n    user.shoe_size:\n      parent: user\n"
        "      name: {en: Shoe size, nl: Schoenmaat}\n",
        1,
    )
    assert unused != text
    assert "TD140" in _codes(load_text(unused, "starter.yaml"))
    # Consent where it is the basis: a consent purpose without a way to withdraw is not published,
    no_withdrawal = text.replace(
        "      withdrawal:\n        en: Use the unsubscribe link in every newsletter, or switch it off in the customer portal.\n"
        "        nl: Gebruik de uitschrijflink in elke nieuwsbrief, of schakel hem uit in het klantenportaal.\n",
        "",
    )
    assert no_withdrawal != text
    with pytest.raises(PublishRefused):
        publish(no_withdrawal)
    # and nobody is on the newsletter's list before giving explicit consent, with its proof.
    publish(text)
    anna = do_create(
        Person, {"first_name": "Anna", "last_name": "Peeters", "email": "anna@example.be"}, actor=operator
    )
    assert not has_consent(anna, "newsletter") and anna not in people_with_consent("newsletter")
    given = do_give_consent(anna, "newsletter", actor=operator, channel="website", method="form", lang="en")
    assert given.event is not None and given.event.text == "Yes, send me the Example Hosting newsletter."
    assert has_consent(anna, "newsletter")
    do_withdraw_consent(anna, "newsletter", actor=operator, channel="website", method="form")
    assert not has_consent(anna, "newsletter")
