"""The example policies in examples/policies/: they load, and they say what their seed statements say."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from trustdesk.lib.durations import Duration
from trustdesk.policy.datamap_check import check_against_datamap
from trustdesk.policy.lint import Finding, Severity, lint
from trustdesk.policy.loader import LoadedPolicy, load_file
from trustdesk.policy.render import render_statement
from trustdesk.policy.schema import LegalBasis, LocalText, Policy, RecipientRole, SourceKind, StartEvent

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"
NAMES = ["ossc-be.yaml", "openitc-uk.yaml", "oscart-be.yaml", "dutch-hosting-nl.yaml", "starter.yaml"]

#: Purposes the seed-based examples add for what Trustdesk itself stores and the seed does not name
#: (its accounts, its registry's other fields, its case files), so that the check against the data
#: map passes; the tests of what a seed says leave them out.
DESK = {"desk_accounts", "desk_records"}

#: Lint codes that point at a mistake in the file itself rather than at a gap in the seed statement.
CONSISTENCY = {"TD112", "TD113", "TD116", "TD141", "TD142", "TD143", "TD150", "TD152", "TD170"}


@cache
def loaded(name: str) -> LoadedPolicy:
    return load_file(EXAMPLES / name)


def policy(name: str) -> Policy:
    return loaded(name).policy


def error_codes(name: str) -> set[str]:
    return {f.code for f in lint(loaded(name)) if f.severity is Severity.ERROR}


def datamap_errors(name: str) -> list[Finding]:
    """The errors of the check against the software's data map (``--against-datamap``)."""
    return [f for f in check_against_datamap(loaded(name)) if f.severity is Severity.ERROR]


def codes(name: str) -> set[str]:
    return {f.code for f in lint(loaded(name))}


def source_kinds(name: str, purpose: str) -> list[SourceKind]:
    return [s.kind for s in policy(name).purposes[purpose].sources]


# --- every example ------------------------------------------------------------------------------


def test_it_has_exactly_the_documented_examples():
    assert sorted(p.name for p in EXAMPLES.glob("*.y*ml")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_it_loads_every_example(name):
    assert policy(name).purposes


@pytest.mark.parametrize("name", NAMES)
def test_it_publishes_every_example_in_english_and_dutch(name):
    assert set(policy(name).languages) == {"en", "nl"}
    findings = [f for f in lint(loaded(name)) if f.code == "TD142"]
    assert findings == []


@pytest.mark.parametrize("name", NAMES)
def test_it_has_no_consistency_errors_in_any_example(name):
    # Seed gaps (no retention, no processing agreement) are left for lint to report; a wrong
    # reference, a missing translation or an undefined sanction is a mistake in the file.
    assert error_codes(name) & CONSISTENCY == set()


@pytest.mark.parametrize("name", NAMES)
def test_it_marks_values_the_seed_does_not_state(name):
    if name == "starter.yaml":
        return
    assert "# not stated in the seed" in (EXAMPLES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_it_tells_customers_of_a_breach_where_it_is_their_processor(name):
    p = policy(name)
    if p.customer_content is not None and p.customer_content.role == "processor":
        assert p.breaches.notify_customers is True
    assert "TD153" not in error_codes(name)
    assert "TD154" not in error_codes(name)


@pytest.mark.parametrize("name", NAMES)
def test_it_records_web_logs_as_observed_data(name):
    p = policy(name)
    if p.web_logs is not None:
        assert source_kinds(name, p.web_logs.purpose) == [SourceKind.OBSERVED]


@pytest.mark.parametrize("name", ["ossc-be.yaml", "openitc-uk.yaml", "oscart-be.yaml"])
def test_it_marks_what_the_desk_adds_to_a_seed_as_not_stated_in_it(name):
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert set(policy(name).purposes) >= DESK
    for key in DESK:
        assert f"  {key}:\n    # not stated in the seed:" in text, key


@pytest.mark.parametrize("name", NAMES)
def test_it_covers_everything_the_software_stores_in_every_example(name):
    # `trustdesk policy lint FILE --against-datamap`: every category the data map declares (the
    # journal's copies included) has a purpose. Seed gaps stay lint's, as above.
    assert [f.message for f in datamap_errors(name)] == []


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_it_renders_every_purpose_of_every_example(name, lang):
    p = policy(name)
    html = render_statement(p, lang, "html")
    md = render_statement(p, lang, "md")
    assert html.startswith("<article")
    for key, purpose in p.purposes.items():
        title = purpose.name.root[lang]
        assert title in html.replace("&#x27;", "'"), key
        assert title in md.replace("\\", ""), key


def test_it_lints_the_starter_without_errors():
    assert error_codes("starter.yaml") == set()
    assert datamap_errors("starter.yaml") == []


def test_it_lints_the_demo_policy_without_errors():
    # `trustdesk demo` publishes dutch-hosting-nl.yaml, publishing refuses lint errors, and the
    # console's policy page shows the check against the data map.
    assert error_codes("dutch-hosting-nl.yaml") == set()
    assert datamap_errors("dutch-hosting-nl.yaml") == []


# --- seed 000 and 001: the Belgian hosting provider ---------------------------------------------


def test_it_never_collects_card_numbers_in_ossc_be():
    p = policy("ossc-be.yaml")
    assert "user.financial.credit_card" in p.never_collected
    assert all(
        not c.startswith("user.financial.credit_card")
        for purpose in p.purposes.values()
        for c in purpose.data_categories
    )
    assert "payment_provider" in p.purposes["payments"].recipients


def test_it_discloses_whois_on_the_registry_in_ossc_be():
    p = policy("ossc-be.yaml")
    registry = p.recipients["domain_registry"]
    assert registry.role is RecipientRole.REGISTRY
    assert registry.public_disclosure is not None
    assert "WHOIS" in registry.public_disclosure.get("en")
    assert "WHOIS" in registry.public_disclosure.get("nl")
    assert "domain_registry" in p.purposes["domain_registration"].recipients


def test_it_asks_permission_for_service_announcements_in_ossc_be():
    purpose = policy("ossc-be.yaml").purposes["service_announcements"]
    assert purpose.legal_basis == [LegalBasis.CONSENT]
    assert purpose.data_use.startswith("marketing")


def test_it_inspects_customer_content_only_on_instruction_in_ossc_be():
    content = policy("ossc-be.yaml").customer_content
    assert content is not None
    assert content.inspection == "on_instruction"
    assert content.virus_scanning is True


#: The abuse categories of seed 001, the acceptable use policy (P1.1).
OSSC_CATEGORIES = {
    "illegal_software",
    "copyright_infringement",
    "pornographic_content",
    "spam",
    "malware",
    "irc",
    "denial_of_service",
    "port_scans",
    "objectionable_content",
    "email_harvesting",
    "resource_abuse",
}


def test_it_has_every_abuse_category_of_the_acceptable_use_policy_in_ossc_be():
    aup = policy("ossc-be.yaml").acceptable_use
    assert aup is not None
    assert set(aup.categories) == OSSC_CATEGORIES
    assert {
        "notify_customer",
        "suspend_service",
        "terminate_agreement",
        "invoice_costs",
        "remove_content",
        "notify_authorities",
    } <= set(aup.sanctions)


def test_it_sanctions_illegal_software_and_pornography_at_once_in_ossc_be():
    categories = policy("ossc-be.yaml").acceptable_use.categories
    assert categories["illegal_software"].immediate == ["suspend_service", "notify_authorities"]
    assert categories["pornographic_content"].immediate == ["block_data", "notify_authorities"]


def test_it_allows_irc_and_port_scans_only_with_written_consent_in_ossc_be():
    categories = policy("ossc-be.yaml").acceptable_use.categories
    allowed = {key for key, category in categories.items() if category.allowed_with_written_consent}
    assert allowed == {"irc", "port_scans"}


def test_it_offers_remedies_for_disproportionate_resource_use_in_ossc_be():
    category = policy("ossc-be.yaml").acceptable_use.categories["resource_abuse"]
    assert len(category.remedies) == 3
    assert "Dedicated" in category.remedies[2].get("en") or "dedicated" in category.remedies[2].get("en")
    assert "terminate_agreement" in category.sanctions


def test_it_invoices_blacklisting_costs_for_spam_in_ossc_be():
    category = policy("ossc-be.yaml").acceptable_use.categories["spam"]
    assert "invoice_blacklisting_costs" in category.sanctions


def test_it_records_the_channels_data_arrives_through_in_ossc_be():
    # Seed 000: "data that you submit to us through our website or through other channels, such
    # as e-mail, phone or fax".
    sources = policy("ossc-be.yaml").purposes["communication"].sources
    assert [s.kind for s in sources] == [SourceKind.DATA_SUBJECT]
    assert sources[0].channels == ["website", "email", "phone", "fax"]


def test_it_produces_only_anonymous_statistics_in_ossc_be():
    purposes = policy("ossc-be.yaml").purposes
    assert purposes["statistics"].output == "anonymous"
    assert {key for key, p in purposes.items() if p.output == "anonymous"} == {"statistics"}


def test_it_logs_the_use_of_the_services_as_observed_data_in_ossc_be():
    # "The use of our services is also logged": recorded, so no requirement to provide it.
    for key in ("quality_monitoring", "abuse_prevention"):
        assert source_kinds("ossc-be.yaml", key) == [SourceKind.OBSERVED], key
        assert policy("ossc-be.yaml").purposes[key].requirement is None, key
    assert SourceKind.OBSERVED in source_kinds("ossc-be.yaml", "invoicing")
    findings = {f.path[1] for f in lint(loaded("ossc-be.yaml")) if f.code == "TD124"}
    assert findings.isdisjoint({"quality_monitoring", "abuse_prevention"})


def test_it_marks_the_processor_breach_duty_as_not_stated_in_ossc_be():
    assert policy("ossc-be.yaml").breaches.notify_customers is True
    text = (EXAMPLES / "ossc-be.yaml").read_text(encoding="utf-8")
    assert "notify_customers: true  # not stated in the seed: required of a processor by Art. 33(2)" in text


def test_it_states_the_aim_and_scope_of_the_acceptable_use_policy_in_ossc_be():
    aup = policy("ossc-be.yaml").acceptable_use
    assert aup is not None and aup.introduction is not None
    assert "reachability" in aup.introduction.get("en")
    assert "their employees, their agents" in aup.introduction.get("en")
    assert "bereikbaarheid" in aup.introduction.get("nl")


def test_it_asks_reports_for_the_details_the_policy_lists_in_ossc_be():
    reporting = policy("ossc-be.yaml").acceptable_use.reporting
    assert reporting.details == ["domain", "email", "website", "ip_address", "description"]
    # Written out in the file, not left to the default list.
    assert "details:" in (EXAMPLES / "ossc-be.yaml").read_text(encoding="utf-8")


def test_it_holds_the_user_liable_for_blacklisting_in_ossc_be():
    spam = policy("ossc-be.yaml").acceptable_use.categories["spam"]
    assert spam.liability is not None
    assert "blacklisting" in spam.liability.get("en")
    assert "zwarte lijst" in spam.liability.get("nl")
    others = policy("ossc-be.yaml").acceptable_use.categories.values()
    assert [c for c in others if c.liability is not None] == [spam]


def test_it_leaves_retention_open_in_ossc_be_as_the_seed_does():
    purposes = policy("ossc-be.yaml").purposes
    assert all(purpose.retention is None for key, purpose in purposes.items() if key not in DESK)
    assert "TD120" in error_codes("ossc-be.yaml")


# --- seed 002: the UK hosting provider ---------------------------------------------------------


def test_it_requires_the_order_fields_of_the_seed_in_openitc_uk():
    orders = policy("openitc-uk.yaml").purposes["orders"]
    assert set(orders.required_categories) == {
        "user.name",
        "user.contact.address",
        "user.contact.email",
        "user.contact.phone_number",
        "user.device.ip_address",
    }
    assert len(orders.data_categories) > len(orders.required_categories)  # other information is optional


def test_it_declares_cookies_with_an_expiry_and_no_personal_data_in_openitc_uk():
    cookies = policy("openitc-uk.yaml").cookies
    assert cookies
    assert not any(cookie.personal_data for cookie in cookies)
    # Every cookie has an expiry; the one that ends with the browser session (Trustdesk's own session
    # cookie) is strictly necessary, and no cookie outlives the visit without a date.
    assert all(cookie.expiry != "session" or cookie.purpose == "strictly_necessary" for cookie in cookies)
    assert {cookie.name for cookie in cookies if cookie.expiry == "session"} == {"sessionid"}


def test_it_declares_the_cookies_trustdesk_sets_in_every_example():
    from trustdesk.consent.cookies import seconds, trustdesk_cookies

    for path in sorted(EXAMPLES.glob("*.yaml")):
        declared = {cookie.name: cookie for cookie in policy(path.name).cookies}
        for own in trustdesk_cookies():
            cookie = next((declared[n] for n in own.aliases if n in declared), None)
            assert cookie is not None, f"{path.name} does not declare {own.name}"
            assert cookie.purpose == "strictly_necessary" and not cookie.personal_data, (path.name, own.name)
            # declared as long as it lasts: ending with the session, or after exactly its lifetime
            if own.max_age is None:
                assert cookie.expiry == "session", (path.name, own.name)
            else:
                assert not isinstance(cookie.expiry, str), (path.name, own.name)
                assert abs(seconds(cookie.expiry) - own.max_age) <= 60, (path.name, own.name)


def test_it_records_the_third_party_sources_in_openitc_uk():
    sources = policy("openitc-uk.yaml").purposes["fraud_prevention"].sources
    named = {(s.kind, s.name.get("en")) for s in sources if s.name is not None}
    assert (SourceKind.PUBLIC, "Companies House") in named
    assert (SourceKind.THIRD_PARTY, "Credit reference agencies") in named


def test_it_declares_customer_profiles_in_openitc_uk():
    profiles = policy("openitc-uk.yaml").purposes["customer_profiles"]
    assert profiles.profiling is not None
    history = {"user.behavior.browsing_history", "user.behavior.purchase_history"}
    assert history <= set(profiles.data_categories)


def test_it_lets_registered_users_opt_out_of_announcements_in_openitc_uk():
    # Sent on legitimate interests unless the user opts out: an objection, not a consent.
    announcements = policy("openitc-uk.yaml").purposes["announcements"]
    assert announcements.legal_basis == [LegalBasis.LEGITIMATE_INTERESTS]
    assert announcements.consent is None
    assert announcements.objection is not None and "unsubscribe" in announcements.objection.get("en")
    assert "TD128" not in codes("openitc-uk.yaml")


def test_it_lets_people_object_to_customer_profiles_in_openitc_uk():
    profiles = policy("openitc-uk.yaml").purposes["customer_profiles"]
    assert profiles.objection is not None
    assert profiles.objection.languages() == {"en", "nl"}
    assert [s.kind for s in profiles.sources] == [SourceKind.OBSERVED]


def test_it_keeps_encrypted_daily_backups_at_several_locations_in_openitc_uk():
    backups = policy("openitc-uk.yaml").security.backups
    assert backups is not None
    assert backups.frequency == "daily" and backups.encrypted is True
    assert backups.locations >= 2  # "several remote locations"
    assert backups.retention is not None  # not stated in the seed: chosen and marked
    assert "TD162" not in codes("openitc-uk.yaml")


def test_it_flags_personal_data_in_support_chat_and_tickets_in_openitc_uk():
    support = policy("openitc-uk.yaml").support
    assert support is not None and support.flag_personal_data is True
    assert support.notice is not None
    assert "must not post personally identifiable information" in support.notice.get("en")
    channels = policy("openitc-uk.yaml").purposes["support"].sources[0].channels
    assert set(channels) == {"website", "portal", "email"}


def test_it_records_visits_and_events_as_observed_data_in_openitc_uk():
    for key in ("site_visits", "security_logging"):
        assert source_kinds("openitc-uk.yaml", key) == [SourceKind.OBSERVED], key
    assert "TD124" not in codes("openitc-uk.yaml")


def test_it_resolves_disputes_within_90_business_days_in_openitc_uk():
    assert policy("openitc-uk.yaml").rights.complaint_business_days == 90


def test_it_is_neither_processor_nor_controller_of_customer_data_in_openitc_uk():
    content = policy("openitc-uk.yaml").customer_content
    assert content is not None and content.role == "neither"


def test_it_gives_only_the_legal_retention_in_openitc_uk():
    p = policy("openitc-uk.yaml")
    with_retention = {
        key for key, purpose in p.purposes.items() if purpose.retention is not None and key not in DESK
    }
    assert with_retention == {"tax_and_accounting"}
    assert p.purposes["tax_and_accounting"].legal_basis == [LegalBasis.LEGAL_OBLIGATION]
    assert p.supervisory_authority is None  # the seed names none


# --- seed 003: the Belgian software company ------------------------------------------------------

#: Every purpose of seed 003 with the legal bases the seed gives it.
OSCART_BASES = {
    "login": ["contract"],
    "extra_account_security": ["consent"],
    "password_reset": ["consent"],
    "personal_contact": ["legitimate_interests"],
    "company_content": ["contract"],
    "blocking_failed_logins": ["legitimate_interests"],
    "unwanted_actions": ["legitimate_interests"],
    "training": ["contract"],
    "training_records": ["legitimate_interests"],
    "language": ["legitimate_interests"],
    "user_rights": ["contract"],
    "faster_recognition": ["consent"],
    "newsletters": ["consent"],
    "visit_offers": ["consent"],
    "answering_questions": ["consent"],
    "prospecting": ["legitimate_interests"],
    "quotations_and_invoices": ["consent", "contract"],
    "sending_quotations": ["legitimate_interests"],
    "file_management": ["contract"],
}


def test_it_models_every_purpose_of_the_seed_with_its_bases_in_oscart_be():
    purposes = policy("oscart-be.yaml").purposes
    seed = {key: [b.value for b in p.legal_basis] for key, p in purposes.items() if key not in DESK}
    assert seed == OSCART_BASES


def test_it_blocks_after_failed_log_ins_on_legitimate_interests_in_oscart_be():
    purpose = policy("oscart-be.yaml").purposes["blocking_failed_logins"]
    assert purpose.legal_basis == [LegalBasis.LEGITIMATE_INTERESTS]
    assert "user.account.failed_logins" in purpose.data_categories


def test_it_warns_about_two_bases_for_quotations_in_oscart_be():
    findings = [f for f in lint(loaded("oscart-be.yaml")) if f.code == "TD111"]
    assert [f.path[:2] for f in findings] == [("purposes", "quotations_and_invoices")]


def test_it_names_processors_only_by_type_in_oscart_be():
    p = policy("oscart-be.yaml")
    processors = [r for r in p.recipients.values() if r.role is RecipientRole.PROCESSOR]
    assert len(processors) == 5
    assert all(r.agreement is None for r in processors)
    assert "TD114" in error_codes("oscart-be.yaml")


def test_it_names_every_recipient_in_both_languages_in_oscart_be():
    # Known only by their type, the recipients read in the statement's own language.
    recipients = policy("oscart-be.yaml").recipients
    assert all(isinstance(r.name, LocalText) for r in recipients.values())
    assert recipients["cloud_provider"].display_name("en") == "Cloud service provider"
    assert recipients["cloud_provider"].display_name("nl") == "Aanbieder van clouddiensten"
    assert recipients["administration"].display_name("nl") == "Boekhoudkantoor"


def test_it_informs_people_of_an_incident_where_the_law_requires_in_oscart_be():
    p = policy("oscart-be.yaml")
    assert "breaches" in p.model_fields_set  # written out, not only the default
    assert p.breaches.notify_people == "where_required"
    assert p.customer_content is None and p.breaches.notify_customers is False


def test_it_lets_contacts_object_to_direct_marketing_by_unsubscribing_in_oscart_be():
    prospecting = policy("oscart-be.yaml").purposes["prospecting"]
    assert prospecting.consent is None
    assert prospecting.objection is not None
    assert "unsubscribe" in prospecting.objection.get("en")
    assert "uitschrijf" in prospecting.objection.get("nl")
    findings = [f for f in lint(loaded("oscart-be.yaml")) if f.code == "TD129"]
    assert "prospecting" not in {f.path[1] for f in findings}


def test_it_records_log_ins_and_account_actions_as_observed_in_oscart_be():
    for key in ("blocking_failed_logins", "unwanted_actions"):
        assert source_kinds("oscart-be.yaml", key) == [SourceKind.OBSERVED], key
    channels = policy("oscart-be.yaml").purposes["answering_questions"].sources[0].channels
    assert channels == ["website", "in_person", "phone", "email"]


def test_it_gets_contacts_from_trade_fair_organisers_in_oscart_be():
    sources = policy("oscart-be.yaml").purposes["prospecting"].sources
    third = [s for s in sources if s.kind is SourceKind.THIRD_PARTY]
    assert len(third) == 1 and "trade fair" in third[0].name.get("en")
    assert third[0].data_categories


def test_it_checks_and_discards_identity_documents_in_oscart_be():
    rights = policy("oscart-be.yaml").rights
    assert rights.identity.id_document == "check_and_discard"
    assert rights.contact is not None and rights.contact.postal is True


def test_it_names_the_belgian_authority_of_the_seed_in_oscart_be():
    authority = policy("oscart-be.yaml").authority()
    assert authority is not None
    assert "GBA" in authority.name.get("en")
    assert "Drukpersstraat 35" in authority.address


def test_it_declares_no_profiling_in_oscart_be():
    assert all(purpose.profiling is None for purpose in policy("oscart-be.yaml").purposes.values())


# --- seed 004: the Dutch hosting provider ------------------------------------------------------


def test_it_keeps_web_logs_two_years_in_dutch_hosting_nl():
    p = policy("dutch-hosting-nl.yaml")
    assert p.web_logs is not None
    assert p.web_logs.retention == Duration(years=2)
    assert set(p.web_logs.fields) == {"domain", "path", "user_agent", "ip_address"}
    purpose = p.purposes[p.web_logs.purpose]
    assert purpose.retention is not None and purpose.retention.period == Duration(years=2)


def test_it_deletes_domain_data_after_the_end_of_service_in_dutch_hosting_nl():
    purpose = policy("dutch-hosting-nl.yaml").purposes["domain_names"]
    assert purpose.retention is not None and purpose.retention.from_ is StartEvent.END_OF_SERVICE
    assert purpose.recipients == ["domain_suppliers"]


def test_it_deletes_certificate_data_after_expiry_in_dutch_hosting_nl():
    p = policy("dutch-hosting-nl.yaml")
    purpose = p.purposes["ssl_certificates"]
    assert purpose.retention is not None and purpose.retention.from_ is StartEvent.CERTIFICATE_EXPIRY
    assert purpose.recipients == ["certificate_authority"]
    assert p.recipients["certificate_authority"].public_disclosure is not None


def test_it_has_domain_data_deleted_at_the_suppliers_in_dutch_hosting_nl():
    recipients = policy("dutch-hosting-nl.yaml").recipients
    assert recipients["domain_suppliers"].erasure_request is StartEvent.END_OF_SERVICE
    assert recipients["certificate_authority"].erasure_request is StartEvent.CERTIFICATE_EXPIRY
    assert recipients["domain_suppliers"].display_name("nl").startswith("Domeinnaamleveranciers")
    assert recipients["domain_suppliers"].display_name("en").startswith("Domain name suppliers")


def test_it_reports_breaches_to_customers_and_the_authority_in_dutch_hosting_nl():
    breaches = policy("dutch-hosting-nl.yaml").breaches
    assert breaches.notify_customers is True
    assert breaches.notify_authority is True
    assert breaches.evidence_for_customers is True


def test_it_keeps_web_logs_as_observed_data_without_a_requirement_in_dutch_hosting_nl():
    purpose = policy("dutch-hosting-nl.yaml").purposes["breach_investigation"]
    assert [s.kind for s in purpose.sources] == [SourceKind.OBSERVED]
    assert purpose.requirement is None and purpose.consequence is None


def test_it_offers_a_processor_agreement_on_request_in_dutch_hosting_nl():
    content = policy("dutch-hosting-nl.yaml").customer_content
    assert content is not None
    assert content.role == "processor"
    assert content.inspection == "on_instruction_or_breach"
    assert content.processor_agreement == "on_request"


def test_it_invites_contact_before_a_complaint_in_dutch_hosting_nl():
    p = policy("dutch-hosting-nl.yaml")
    assert p.rights.invite_contact_first is True
    assert p.languages[0] == "nl"
    authority = p.authority()
    assert authority is not None and authority.name.get("nl") == "Autoriteit Persoonsgegevens"


# --- the starter --------------------------------------------------------------------------------


def test_it_shows_every_section_of_the_format_in_the_starter():
    p = policy("starter.yaml")
    assert p.security.backups is not None and p.security.backups.retention is not None
    assert p.breaches.notify_customers is True and p.breaches.evidence_for_customers is True
    assert p.support is not None and p.support.flag_personal_data is True
    assert p.acceptable_use is not None and p.acceptable_use.introduction is not None
    assert p.acceptable_use.categories["spam"].liability is not None
    assert p.purposes["security_logs"].objection is not None
    assert codes("starter.yaml") == {"TD102"}
