"""The declared part of promises whose enforcement no Trustdesk feature carries yet (the abuse desk, the
breach register, a support intake, a virus scanner): the policy declares each, the check holds the
declaration to the law where a rule applies, and the published statement or acceptable use page says it
in each language. docs/promises.md says, for each, what is not kept yet.

Each test works on the example policy modelled on the seed that made the promise (docs/policies.md).
"""

from __future__ import annotations

import copy
import datetime as dt
import html

import pytest
import yaml
from django.test import Client

from tests.accounts.personas import Personas
from tests.conftest import POLICY
from tests.policy.test_examples import OSSC_CATEGORIES
from tests.portal.conftest import client_for, personas, portal
from tests.promises.test_statement_promises import _codes, _example, _text
from tests.web.test_acceptable_use_page import _OSSC, AUP_POLICY
from trustdesk.lib.deadlines import add_business_days
from trustdesk.policy.loader import load_text
from trustdesk.policy.render import render_statement
from trustdesk.policy.schema import AbuseCategory, AcceptableUse, LegalBasis, Policy


def _statement(policy: Policy, lang: str) -> str:
    return _text(render_statement(policy, lang, "html"))


def _aup(client: Client, publish, lang: str) -> str:
    """The acceptable use page of seed 001's policy, published, in one language, as text."""
    publish(AUP_POLICY)
    response = client.get(f"/acceptable-use?lang={lang}")
    assert response.status_code == 200
    return " ".join(html.unescape(response.content.decode()).split())


def _section(page: str, key: str) -> str:
    return page.split(f'id="category-{key}"')[1].split("</section>")[0]


def _seed_001() -> AcceptableUse:
    aup = load_text(AUP_POLICY, "aup.yaml").policy.acceptable_use
    assert aup is not None
    return aup


def _category(key: str) -> AbuseCategory:
    return _seed_001().categories[key]


@pytest.mark.promise("P0.4")
def test_it_declares_announcements_only_with_permission_and_statistics_only_anonymous() -> None:
    policy = _example("ossc-be.yaml").policy
    announcements = policy.purposes["service_announcements"]
    statistics = policy.purposes["statistics"]
    assert announcements.legal_basis == [LegalBasis.CONSENT]
    assert statistics.output == "anonymous"
    english = _statement(policy, "en")
    assert "With your permission, we inform you of new or modified services." in english
    assert (
        "We use the collected information to generate anonymous statistical data; no person can be singled out of it."
        in english
    )
    assert "Only anonymous results, such as statistics, from which no one can be singled out." in english
    dutch = _statement(policy, "nl")
    assert "Met uw toestemming informeren wij u over nieuwe of gewijzigde diensten." in dutch
    assert "daaruit kan niemand afzonderlijk herkend worden" in dutch
    # A purpose on consent must say how the consent is withdrawn.
    without_withdrawal = POLICY.replace(
        "    consent:\n      withdrawal:\n        en: Use the unsubscribe link in every newsletter.\n"
        "        nl: Gebruik de afmeldlink in elke nieuwsbrief.\n",
        "",
    )
    assert without_withdrawal != POLICY
    assert "TD122" in _codes(load_text(without_withdrawal, "no-withdrawal.yaml"))
    assert "TD122" not in _codes(load_text(POLICY, "policy.yaml"))


@pytest.mark.promise("P0.11")
def test_it_declares_automatic_virus_scanning_without_reading_the_files() -> None:
    policy = _example("ossc-be.yaml").policy
    assert policy.customer_content is not None and policy.customer_content.virus_scanning
    english = _statement(policy, "en")
    assert (
        "Files that enter our systems are scanned for viruses automatically; no one reads them in the process."
        in english
    )
    assert "virus" in _statement(policy, "nl")
    # Without the declaration the statement does not say it.
    policy_off = policy.model_copy(
        update={"customer_content": policy.customer_content.model_copy(update={"virus_scanning": False})}
    )
    assert "scanned for viruses automatically" not in _statement(policy_off, "en")


@pytest.mark.promise("P1.1")
@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_it_publishes_the_abuse_categories_of_the_policy(client: Client, publish, lang: str) -> None:
    aup = _seed_001()
    assert set(aup.categories) == OSSC_CATEGORIES
    page = _aup(client, publish, lang)
    for key, category in aup.categories.items():
        section = _section(page, key)
        assert category.name.get(lang) in section
        assert " ".join(category.description.get(lang).split()) in section
    # Spam also covers mass mailings sent elsewhere that link to content on the network.
    assert "that link to content stored on our network" in _category("spam").description.get("en")


@pytest.mark.promise("P1.2")
@pytest.mark.django_db
def test_it_says_where_anyone_reports_abuse_and_what_a_report_holds(client: Client, publish) -> None:
    reporting = _seed_001().reporting
    assert reporting is not None
    assert reporting.email == "abuse@librehosting.example.be"
    assert reporting.details == ["domain", "email", "website", "ip_address", "description"]
    page = _aup(client, publish, "en")
    section = page.split('id="reporting"')[1]
    assert 'href="mailto:abuse@librehosting.example.be"' in section
    for detail in ("the domain name involved", "the e-mail address involved", "the website involved"):
        assert detail in section
    assert "IP address" in section and "description" in section


@pytest.mark.promise("P1.3")
@pytest.mark.django_db
def test_it_publishes_every_sanction_a_report_can_lead_to(client: Client, publish) -> None:
    sanctions = _seed_001().sanctions
    assert set(sanctions) == {
        "notify_customer",
        "suspend_service",
        "terminate_agreement",
        "invoice_costs",
        "invoice_blacklisting_costs",
        "remove_content",
        "block_data",
        "notify_authorities",
    }
    for lang in ("en", "nl"):
        page = _aup(client, publish, lang)
        for sanction in sanctions.values():
            assert sanction.name.get(lang) in page
    # The check refuses a category that names a sanction the policy does not declare.
    aup = copy.deepcopy(_OSSC["acceptable_use"])
    aup["categories"]["illegal_software"]["immediate"] = ["suspend_service", "jail"]
    broken = POLICY + yaml.safe_dump({"acceptable_use": aup}, allow_unicode=True, sort_keys=False)
    assert "TD170" in _codes(load_text(broken, "aup.yaml"))
    assert "TD170" not in _codes(load_text(AUP_POLICY, "aup.yaml"))


@pytest.mark.promise("P1.4")
@pytest.mark.django_db
def test_it_publishes_the_immediate_steps_for_illegal_software_and_pornographic_content(
    client: Client, publish
) -> None:
    assert _category("illegal_software").immediate == ["suspend_service", "notify_authorities"]
    assert _category("pornographic_content").immediate == ["block_data", "notify_authorities"]
    page = _aup(client, publish, "en")
    for key, steps in (
        ("illegal_software", ["Temporary suspension of the services involved"]),
        ("pornographic_content", ["Blocking all the data involved"]),
    ):
        section = _section(page, key)
        assert "We take these steps at once, before we assess the report:" in section
        immediate = section.split('class="sanctions-immediate"')[1].split("</ul>")[0]
        for step in [*steps, "Notifying the legal or internet authorities"]:
            assert step in immediate


@pytest.mark.promise("P1.5")
@pytest.mark.django_db
def test_it_publishes_the_liability_for_a_blacklisting(client: Client, publish) -> None:
    spam = _category("spam")
    assert spam.liability is not None
    assert "invoice_blacklisting_costs" in spam.sanctions
    section = _section(_aup(client, publish, "en"), "spam")
    assert "What you are liable for:" in section
    assert "If the abuse leads to the blacklisting of one or more addresses of our network" in section
    assert "Invoicing the losses and costs caused by the blacklisting of our addresses" in section
    dutch = _section(_aup(client, publish, "nl"), "spam")
    assert "zwarte lijst" in dutch


@pytest.mark.promise("P1.6")
@pytest.mark.django_db
def test_it_publishes_the_remedies_offered_before_a_sanction_for_resource_use(
    client: Client, publish
) -> None:
    remedies = [remedy.get("en") for remedy in _category("resource_abuse").remedies]
    assert remedies[0] == "Modify the software or scripts."
    assert len(remedies) == 3
    section = _section(_aup(client, publish, "en"), "resource_abuse")
    assert "Before any sanction, we first offer you to:" in section
    for remedy in remedies:
        assert remedy in section
    assert "If none of these is done, it can lead to:" in section
    assert "Termination of the agreement involved" in section


@pytest.mark.promise("P1.7")
@pytest.mark.django_db
def test_it_publishes_that_irc_and_port_scans_need_prior_written_consent(client: Client, publish) -> None:
    aup = _seed_001()
    needing = {key for key, category in aup.categories.items() if category.allowed_with_written_consent}
    assert needing == {"irc", "port_scans"}
    page = _aup(client, publish, "en")
    for key in aup.categories:
        said = "Allowed only with our prior written consent." in _section(page, key)
        assert said == (key in needing), key


@pytest.mark.promise("P2.5")
@pytest.mark.django_db
def test_registered_users_get_announcements_and_opt_out_in_one_click(portal: Personas) -> None:
    from trustdesk.consent.queries import people_with_consent
    from trustdesk.rights.processing import may_process

    person = portal.ursula.profile.person
    client = client_for(portal.ursula)
    assert client.post("/portal/consents/", {"purpose": "newsletter", "action": "give"}).status_code == 302
    assert person in people_with_consent("newsletter")  # the mailing system sends to her
    assert may_process(person, "newsletter")
    assert (
        client.post("/portal/consents/", {"purpose": "newsletter", "action": "withdraw"}).status_code == 302
    )
    assert person not in people_with_consent("newsletter")  # and no longer
    assert not may_process(person, "newsletter")  # what every feature asks before it uses her data
    # Seed 002's statement says it, and how to opt out.
    policy = _example("openitc-uk.yaml").policy
    english = _statement(policy, "en")
    assert (
        "Registered users receive announcements from us about products, services and special deals, and a newsletter."
        in english
    )
    assert (
        "Use the unsubscribe link in every message, or switch announcements and the newsletter off in the client area."
        in english
    )


@pytest.mark.promise("P2.8")
def test_it_declares_that_personal_data_typed_into_support_is_flagged() -> None:
    policy = _example("openitc-uk.yaml").policy
    assert policy.support is not None and policy.support.flag_personal_data
    english = _statement(policy, "en")
    assert "you must not post personally identifiable information there" in english
    assert (
        "If you type personal data into our support chat or a support ticket, our system flags it before the message is stored."
        in english
    )
    assert "Supportchat en tickets" in _statement(policy, "nl")


@pytest.mark.promise("P2.12")
def test_it_states_that_disputes_are_resolved_within_90_business_days() -> None:
    policy = _example("openitc-uk.yaml").policy
    assert policy.rights.complaint_business_days == 90
    assert (
        "We resolve complaints and disputes about the processing of your personal data within 90 business days."
        in _statement(policy, "en")
    )
    # Counted on the controller's public holidays: from Monday 5 January 2026, 18 weeks of business days end
    # on Monday 11 May; England's Good Friday, Easter Monday and early May bank holiday add three.
    assert add_business_days(dt.date(2026, 1, 5), 90, policy.controller.country) == dt.date(2026, 5, 14)


@pytest.mark.promise("P3.9")
def test_it_declares_that_affected_people_are_informed_where_the_law_requires() -> None:
    policy = _example("oscart-be.yaml").policy
    assert policy.breaches is not None and policy.breaches.notify_people == "where_required"
    assert (
        "If a breach is likely to result in a high risk to your rights and freedoms, we inform you personally without undue delay, as the law requires."
        in _statement(policy, "en")
    )
    assert (
        "dan informeren wij u daar zonder onnodige vertraging persoonlijk over, zoals de wet voorschrijft"
        in _statement(policy, "nl")
    )


@pytest.mark.promise("P4.5")
def test_it_declares_breach_reports_to_customers_and_the_authority_with_evidence() -> None:
    loaded = _example("dutch-hosting-nl.yaml")
    breaches = loaded.policy.breaches
    assert breaches is not None
    assert breaches.notify_authority and breaches.notify_customers and breaches.evidence_for_customers
    english = _statement(loaded.policy, "en")
    assert (
        "we report it to the Dutch Data Protection Authority (Autoriteit Persoonsgegevens) within 72 hours"
        in english
    )
    assert (
        "If a breach in our systems affects personal data that you, as a customer, store in our services, we inform you without undue delay, and give you the information you need to report the breach yourself"
        in english
    )
    # The check holds the declaration to the law: the authority is told, and a processor tells its customers.
    for line, code in (
        ("  notify_authority: true\n", "TD154"),
        ("  notify_customers: true\n", "TD153"),
    ):
        assert line in loaded.source.text
        changed = loaded.source.text.replace(line, line.replace("true", "false"), 1)
        assert code in _codes(load_text(changed, "changed.yaml"))
        assert code not in _codes(loaded)


@pytest.mark.promise("P4.8")
def test_it_states_that_a_processor_agreement_is_provided_on_request() -> None:
    policy = _example("dutch-hosting-nl.yaml").policy
    assert policy.customer_content is not None
    assert policy.customer_content.processor_agreement == "on_request"
    assert "We provide a data processing agreement on request." in _statement(policy, "en")
    assert "verwerkersovereenkomst" in _statement(policy, "nl")


__all__ = ["personas", "portal"]
