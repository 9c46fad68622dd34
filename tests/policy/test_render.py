"""The privacy statement rendered from a policy, in English and Dutch, as HTML and Markdown."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest

from trustdesk.policy.loader import load_file, load_text
from trustdesk.policy.render import escape_markdown, render_document, render_statement
from trustdesk.policy.schema import Policy, StartEvent
from trustdesk.policy.wording import ERASURE_EVENTS, has_name, join_channels, term_name, used_keys

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"

POLICY = """
format: 1
languages: [en, nl]
controller:
  legal_name: Voorbeeld Hosting BV
  trade_name: Voorbeeld
  company_number: BE 0123.456.789
  address: |
    Kerkstraat 12
    9000 Gent
  country: BE
  email: privacy@voorbeeld.be
  phone: +32 9 123 45 67
  website: https://www.voorbeeld.be
  dpo:
    name: An Peeters
    email: dpo@voorbeeld.be
statement:
  title: {en: Privacy statement, nl: Privacyverklaring}
  introduction:
    en: Voorbeeld hosts websites and mail for small businesses.
    nl: Voorbeeld host websites en e-mail voor kleine ondernemingen.
  changes:
    en: We announce changes by e-mail to our customers one month in advance.
    nl: Wijzigingen kondigen wij een maand vooraf per e-mail aan onze klanten aan.
taxonomy:
  data_subjects:
    contact_person:
      parent: customer
      name: {en: Contact person, nl: Contactpersoon}
purposes:
  invoicing:
    name: {en: Invoicing, nl: Facturatie}
    data_use: essential.service.payment_processing
    legal_basis: [contract, legal_obligation]
    data_subjects: [customer]
    data_categories: [user.name, user.contact.address, user.contact.email, user.financial.bank_account]
    required_categories: [user.name, user.contact.address]
    requirement: needed_for_contract
    consequence:
      en: We cannot deliver the service.
      nl: Wij kunnen de dienst niet leveren.
    recipients: [accountant, registry]
    retention:
      period: P7Y
      from: end_of_fiscal_year_of_invoice
      legal_reason:
        en: article III.86 of the Belgian Code of Economic Law
        nl: artikel III.86 van het Wetboek van economisch recht
  newsletter:
    name: {en: Newsletter, nl: Nieuwsbrief}
    data_use: marketing.communications.email
    legal_basis: consent
    consent:
      withdrawal:
        en: use the unsubscribe link at the bottom of every newsletter.
        nl: gebruik de afmeldlink onderaan elke nieuwsbrief.
    data_subjects: [customer, contact_person]
    data_categories: [user.contact.email, user.name.first]
    requirement: optional
    retention:
      period: P6M
      from: consent_withdrawal
      action: anonymise
  security:
    name: {en: Preventing abuse, nl: Misbruik voorkomen}
    data_use: essential.service.security
    legal_basis: legitimate_interests
    legitimate_interest:
      en: keeping our network and our customers safe from attacks.
      nl: ons netwerk en onze klanten beschermen tegen aanvallen.
    data_subjects: [visitor, customer]
    data_categories: [user.device.ip_address, user.contact.organization]
    sources:
      - kind: data_subject
      - kind: third_party
        name: {en: Spamhaus blocklists, nl: blokkeerlijsten van Spamhaus}
        data_categories: [user.device.ip_address]
    recipients: [mailer]
    retention:
      period: P2Y
      from: collection
recipients:
  accountant:
    name: Boekhouding Janssens
    role: processor
    country: BE
    description: {en: keeps our accounts, nl: voert onze boekhouding}
    agreement: {date: 2024-01-15, reference: DPA-7}
  registry:
    name: DNS Belgium
    role: registry
    country: BE
    description: {en: registers .be domain names, nl: registreert .be-domeinnamen}
    public_disclosure:
      en: the registrant's name appears in the public WHOIS of the .be registry.
      nl: de naam van de houder staat in de openbare WHOIS van het .be-register.
  mailer:
    name: Postmark Inc.
    role: processor
    country: US
    description: {en: sends our e-mail, nl: verstuurt onze e-mail}
    transfer:
      safeguard: standard_contractual_clauses
security:
  lockout: {attempts: 5, duration: PT15M}
  two_factor: {staff: required, customers: optional}
  measures:
    - {en: Encrypted connections (TLS) everywhere, nl: Overal versleutelde verbindingen (TLS)}
rights:
  contact: {email: rights@voorbeeld.be, postal: true}
  complaint_business_days: 30
  invite_contact_first: true
  identity: {id_document: check_and_discard}
cookies:
  - name: sessionid
    purpose: strictly_necessary
    description: {en: keeps you signed in, nl: houdt u ingelogd}
    expiry: session
  - name: lang
    purpose: strictly_necessary
    description: {en: remembers your language, nl: onthoudt uw taal}
    expiry: P1Y
web_logs:
  purpose: security
  retention: P2Y
  fields: [domain, path, user_agent, ip_address]
  ip_storage: hmac
customer_content:
  role: processor
  virus_scanning: true
  processor_agreement: on_request
"""

DATES = {"effective": dt.date(2026, 6, 5), "published": dt.date(2026, 6, 1)}


def policy(text: str = POLICY) -> Policy:
    return load_text(text, "test.yaml").policy


def text_of(markup: str) -> str:
    """The HTML's text, with tags dropped and whitespace collapsed, for sentence checks."""
    inline = re.sub(r"</?(?:a|time|strong|code)\b[^>]*>", "", markup)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], str]:
    loaded = policy()
    return {
        (lang, fmt): render_statement(loaded, lang, fmt, **DATES)
        for lang in ("en", "nl")
        for fmt in ("html", "md")
    }


def test_it_starts_the_html_with_an_article(rendered):
    for lang in ("en", "nl"):
        assert rendered[(lang, "html")].startswith("<article")
        assert "<html" not in rendered[(lang, "html")]
        assert "<style" not in rendered[(lang, "html")]
        assert "style=" not in rendered[(lang, "html")]


def test_it_names_the_controller_with_address(rendered):
    for lang in ("en", "nl"):
        text = text_of(rendered[(lang, "html")])
        assert "Voorbeeld Hosting BV" in text
        assert "Kerkstraat 12" in text
        assert "9000 Gent" in text
        assert "BE 0123.456.789" in text
        assert "privacy@voorbeeld.be" in text
        assert "dpo@voorbeeld.be" in text
    assert "Ondernemingsnummer: BE 0123.456.789" in text_of(rendered[("nl", "html")])
    assert "Belgium" in text_of(rendered[("en", "html")])
    assert "België" in text_of(rendered[("nl", "html")])


def test_it_gives_each_purpose_its_legal_basis_with_the_article(rendered):
    en = text_of(rendered[("en", "html")])
    nl = text_of(rendered[("nl", "html")])
    assert "Performance of a contract (Art. 6(1)(b) GDPR)" in en
    assert "Legal obligation (Art. 6(1)(c) GDPR)" in en
    assert "Consent (Art. 6(1)(a) GDPR)" in en
    assert "Legitimate interests (Art. 6(1)(f) GDPR)" in en
    assert "Uitvoering van een overeenkomst (art. 6 lid 1 onder b AVG)" in nl
    assert "Toestemming (art. 6 lid 1 onder a AVG)" in nl
    assert "Gerechtvaardigd belang (art. 6 lid 1 onder f AVG)" in nl
    assert "Keeping our network and our customers safe from attacks." in en
    assert "Ons netwerk en onze klanten beschermen tegen aanvallen." in nl


def test_it_writes_retention_in_words(rendered):
    en = text_of(rendered[("en", "html")])
    nl = text_of(rendered[("nl", "html")])
    assert "seven years after the end of the fiscal year of the invoice" in en
    assert "zeven jaar na het einde van het boekjaar van de factuur" in nl
    assert "Article III.86 of the Belgian Code of Economic Law" in en
    assert "Artikel III.86 van het Wetboek van economisch recht" in nl
    assert "six months after you withdraw your consent" in en
    assert "zes maanden nadat u uw toestemming hebt ingetrokken" in nl
    assert "Then we anonymise it" in en
    assert "Daarna anonimiseren wij ze" in nl


def test_it_names_recipients_with_country_and_transfer_safeguard(rendered):
    en = text_of(rendered[("en", "html")])
    nl = text_of(rendered[("nl", "html")])
    for text in (en, nl):
        assert "Boekhouding Janssens" in text
        assert "DNS Belgium" in text
        assert "Postmark Inc." in text
    assert "the United States" in en
    assert "de Verenigde Staten" in nl
    assert "standard data protection clauses (Art. 46(2)(c) GDPR)" in en
    assert "modelcontractbepalingen (art. 46 lid 2 onder c AVG)" in nl
    assert "public WHOIS of the .be registry" in en
    assert "openbare WHOIS van het .be-register" in nl


def test_it_names_third_party_sources(rendered):
    assert "Spamhaus blocklists: IP address" in text_of(rendered[("en", "html")])
    assert "blokkeerlijsten van Spamhaus: IP-adres" in text_of(rendered[("nl", "html")])


def test_it_gives_the_authority_and_invites_contact_first(rendered):
    en = text_of(rendered[("en", "html")])
    nl = text_of(rendered[("nl", "html")])
    for text in (en, nl):
        assert "Drukpersstraat 35" in text
        assert "1000 Brussel" in text
        assert "contact@apd-gba.be" in text
    assert "Gegevensbeschermingsautoriteit (GBA)" in nl
    assert "please contact us first" in en
    assert "neem dan eerst contact met ons op" in nl
    assert "within 30 business days" in en
    assert "binnen 30 werkdagen" in nl


def test_it_explains_how_to_withdraw_consent(rendered):
    en = text_of(rendered[("en", "html")])
    nl = text_of(rendered[("nl", "html")])
    assert "You can withdraw your consent at any time, as easily as you gave it. Use the unsubscribe" in en
    assert "U kunt uw toestemming altijd intrekken, even gemakkelijk als u ze gaf. Gebruik de afmeld" in nl


def test_it_says_there_is_no_automated_decision_making(rendered):
    assert "We do not use automated decision-making or profiling." in text_of(rendered[("en", "html")])
    assert "Wij maken geen gebruik van geautomatiseerde besluitvorming of profilering." in text_of(
        rendered[("nl", "html")]
    )


def test_it_lists_every_right(rendered):
    en = text_of(rendered[("en", "html")])
    nl = text_of(rendered[("nl", "html")])
    for word in (
        "Access",
        "Rectification",
        "Erasure",
        "Restriction",
        "Objection",
        "Data portability",
        "Withdrawing consent",
        "Automated decisions",
        "direct marketing",
    ):
        assert word in en
    for word in (
        "Inzage",
        "Rectificatie",
        "Wissing",
        "Beperking",
        "Bezwaar",
        "Overdraagbaarheid",
        "Intrekken van toestemming",
        "Geautomatiseerde besluiten",
        "direct marketing",
    ):
        assert word in nl
    assert "within one month" in en
    assert "binnen één maand" in nl
    assert "available for seven days" in en
    assert "zeven dagen" in nl
    assert "we check it and do not keep a copy" in en


def test_it_covers_security_cookies_logs_and_customer_content(rendered):
    en = text_of(rendered[("en", "html")])
    nl = text_of(rendered[("nl", "html")])
    assert "After 5 incorrect log-in attempts, we block the account for 15 minutes." in en
    assert "Na 5 mislukte inlogpogingen blokkeren wij het account gedurende 15 minuten." in nl
    assert "sessionid" in en
    assert "after one year" in en
    assert "na één jaar" in nl
    assert "keep them for two years" in en
    assert "keyed pseudonym" in en
    assert "we are your processor" in en
    assert "verwerkersovereenkomst" in nl


def test_it_dates_the_version_in_each_language(rendered):
    assert "This statement applies from 5 June 2026; last modified 1 June 2026." in text_of(
        rendered[("en", "html")]
    )
    assert "Deze verklaring geldt vanaf 5 juni 2026; laatst gewijzigd op 1 juni 2026." in text_of(
        rendered[("nl", "html")]
    )
    assert "We announce changes by e-mail" in rendered[("en", "html")]


def test_it_writes_markdown(rendered):
    en = rendered[("en", "md")]
    nl = rendered[("nl", "md")]
    assert en.startswith("# Privacy statement\n")
    assert nl.startswith("# Privacyverklaring\n")
    assert "<" not in en.replace("\\<", "")
    assert "| Invoicing |" in en or "| [Invoicing]" in en
    assert "seven years after the end of the fiscal year of the invoice" in en
    assert "zeven jaar na het einde van het boekjaar van de factuur" in nl
    assert "\n\n\n" not in en
    assert "We do not use automated decision-making or profiling." in en


def test_it_escapes_the_controllers_name_in_html_and_markdown():
    hostile = POLICY.replace(
        "legal_name: Voorbeeld Hosting BV", 'legal_name: "<script>alert(1)</script> *BV*"'
    )
    loaded = policy(hostile)
    for lang in ("en", "nl"):
        out = render_statement(loaded, lang, "html")
        assert "<script>" not in out
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
        md = render_statement(loaded, lang, "md")
        assert "\\<script\\>alert(1)\\</script\\> \\*BV\\*" in md
    assert escape_markdown("a_b [c](d) | e") == "a\\_b \\[c\\](d) \\| e"


def test_it_renders_a_complete_document():
    loaded = policy()
    for lang in ("en", "nl"):
        document = render_document(loaded, lang, **DATES)
        assert document.startswith("<!DOCTYPE html>")
        assert f'<html lang="{lang}">' in document
        assert '<meta charset="utf-8">' in document
        assert "<title>" in document
        assert "<article" in document
        assert document.rstrip().endswith("</html>")
        assert "<style" not in document and "style=" not in document and "<script" not in document
    assert render_document(loaded, "en", "md") == render_statement(loaded, "en", "md")


def test_it_falls_back_to_english_names_for_unknown_dutch_terms():
    loaded = policy()
    assert term_name(loaded, "data_categories", "user.contact.email", "nl") == "E-mailadres"
    assert term_name(loaded, "data_subjects", "contact_person", "nl") == "Contactpersoon"
    assert term_name(loaded, "data_categories", "user.biometric.retinal", "nl") == "Retina Scan"


def test_it_refuses_an_unknown_language():
    with pytest.raises(ValueError):
        render_statement(policy(), "fr", "html")


def test_it_has_a_dutch_name_for_every_key_the_example_policies_use():
    missing: list[str] = []
    for path in sorted(EXAMPLES.glob("*.yaml")) + sorted(EXAMPLES.glob("*.yml")):
        loaded = load_file(path).policy
        for kind, keys in used_keys(loaded).items():
            missing += [
                f"{path.name}: {kind} {key}" for key in sorted(keys) if not has_name(loaded, kind, key, "nl")
            ]
    assert not missing, "keys without a Dutch name:\n" + "\n".join(missing)


def test_it_renders_every_example_policy_in_both_languages():
    for path in sorted(EXAMPLES.glob("*.yaml")) + sorted(EXAMPLES.glob("*.yml")):
        loaded = load_file(path).policy
        for lang in ("en", "nl"):
            for fmt in ("html", "md"):
                assert render_statement(loaded, lang, fmt, **DATES).strip()


# --- objection, anonymous output, channels, observed data, recipients, backups, breaches, support ---

EXTENDED = (
    POLICY.replace(
        """    sources:
      - kind: data_subject
      - kind: third_party""",
        """    objection:
      en: write to us at object@voorbeeld.be, stating your reasons.
      nl: schrijf ons op object@voorbeeld.be, met uw redenen.
    sources:
      - kind: data_subject
        channels: [fax, email, website, phone]
      - kind: observed
        data_categories: [user.device.ip_address]
      - kind: third_party""",
    )
    .replace(
        """  mailer:
    name: Postmark Inc.""",
        """  mailer:
    name: {en: Our mail delivery service, nl: Onze e-maildienstverlener}
    erasure_request: end_of_contract""",
    )
    .replace(
        """    country: BE
    description: {en: registers .be domain names""",
        """    country: BE
    erasure_request: end_of_service
    description: {en: registers .be domain names""",
    )
    .replace(
        """  measures:
""",
        """  backups: {frequency: daily, encrypted: true, locations: 3, retention: P30D}
  measures:
""",
    )
    .replace(
        """  newsletter:
    name: {en: Newsletter, nl: Nieuwsbrief}""",
        """  statistics:
    name: {en: Statistics, nl: Statistieken}
    data_use: analytics.reporting
    legal_basis: legitimate_interests
    legitimate_interest: {en: knowing how our services are used, nl: weten hoe onze diensten worden gebruikt}
    data_subjects: [customer]
    data_categories: [user.device.ip_address, user.behavior.browsing_history]
    requirement: needed_for_contract
    consequence: {en: We cannot offer the service., nl: Wij kunnen de dienst niet leveren.}
    output: anonymous
    sources:
      - kind: observed
        name: {en: web server logs, nl: logbestanden van onze webservers}
  offers:
    name: {en: Offers, nl: Aanbiedingen}
    data_use: marketing.communications.email
    legal_basis: legitimate_interests
    legitimate_interest: {en: telling customers about our services, nl: klanten over onze diensten informeren}
    objection:
      en: use the *unsubscribe* link in any of our e-mails
      nl: gebruik de *afmeldlink* in elk van onze e-mails
    data_subjects: [customer]
    data_categories: [user.contact.email]
  newsletter:
    name: {en: Newsletter, nl: Nieuwsbrief}""",
    )
    + """breaches:
  notify_people: always
  notify_customers: true
  evidence_for_customers: true
support:
  flag_personal_data: true
  notice:
    en: Our support chat is not meant for personal data; please leave out anything we do not need.
    nl: Onze supportchat is niet bedoeld voor persoonsgegevens; laat weg wat wij niet nodig hebben.
"""
)


@pytest.fixture(scope="module")
def extended() -> dict[tuple[str, str], str]:
    loaded = policy(EXTENDED)
    return {
        (lang, fmt): render_statement(loaded, lang, fmt, **DATES)
        for lang in ("en", "nl")
        for fmt in ("html", "md")
    }


def section(markup: str, section_id: str) -> str:
    """The text of one ``<section id=...>`` of the HTML statement (purposes nest no sections)."""
    start = markup.index(f'<section id="{section_id}">')
    return text_of(markup[start : markup.index("</section>", start)])


def md_section(markdown: str, heading: str) -> str:
    """One section of the Markdown statement, from its heading to the next heading."""
    start = markdown.index(heading)
    end = markdown.find("\n#", start + len(heading))
    return markdown[start : end if end != -1 else len(markdown)]


def test_it_renders_the_extended_policy_without_style_or_script(extended):
    for lang in ("en", "nl"):
        markup = extended[(lang, "html")]
        assert "<style" not in markup and "style=" not in markup and "<script" not in markup
        assert "\n\n\n" not in extended[(lang, "md")]


def test_it_shows_how_to_object_with_the_purpose(extended):
    en = section(extended[("en", "html")], "purpose-security")
    nl = section(extended[("nl", "html")], "purpose-security")
    assert (
        "Objecting You can object to this processing on grounds relating to your particular situation. "
        "Write to us at object@voorbeeld.be, stating your reasons." in en
    )
    assert (
        "Bezwaar maken U kunt om redenen die verband houden met uw specifieke situatie bezwaar maken tegen "
        "deze verwerking. Schrijf ons op object@voorbeeld.be, met uw redenen." in nl
    )
    assert "**Objecting:** you can object to this processing" in extended[("en", "md")]
    assert "**Bezwaar maken:** u kunt om redenen" in extended[("nl", "md")]
    # Direct marketing: the objection is unconditional, and the officer's text is escaped in Markdown.
    offers_en = section(extended[("en", "html")], "purpose-offers")
    offers_nl = section(extended[("nl", "html")], "purpose-offers")
    assert (
        "You can object to this use of your data at any time; we then stop at once. Use the *unsubscribe*"
        in (offers_en)
    )
    assert (
        "U kunt altijd bezwaar maken tegen dit gebruik van uw gegevens; wij stoppen daar dan onmiddellijk "
        in (offers_nl)
    )
    assert "Use the \\*unsubscribe\\* link in any of our e-mails." in extended[("en", "md")]
    assert "Gebruik de \\*afmeldlink\\* in elk van onze e-mails." in extended[("nl", "md")]


def test_it_shows_no_objection_where_the_policy_gives_none(rendered):
    assert "Objecting" not in rendered[("en", "html")]
    assert "Bezwaar maken" not in rendered[("nl", "html")]


def test_it_says_a_purpose_yields_only_anonymous_results(extended, rendered):
    en = section(extended[("en", "html")], "purpose-statistics")
    nl = section(extended[("nl", "html")], "purpose-statistics")
    assert (
        "What it produces Only anonymous results, such as statistics, from which no one can be singled out."
        in en
    )
    assert (
        "Wat het oplevert Alleen anonieme resultaten, zoals statistieken, waarin niemand afzonderlijk " in nl
    )
    assert "- **What it produces:** only anonymous results, such as statistics" in extended[("en", "md")]
    assert "- **Wat het oplevert:** alleen anonieme resultaten, zoals statistieken" in extended[("nl", "md")]
    assert "What it produces" not in section(extended[("en", "html")], "purpose-security")
    assert "What it produces" not in rendered[("en", "html")]


def test_it_joins_channels_sharing_their_preposition():
    assert (
        join_channels(["fax", "email", "website", "phone"], "en")
        == "through our website, by e-mail, phone or fax"
    )
    assert (
        join_channels(["fax", "email", "website", "phone"], "nl")
        == "via onze website, per e-mail, telefoon of fax"
    )
    assert join_channels(["email", "in_person"], "en") == "by e-mail or in person"
    assert join_channels(["letter"], "nl") == "per post"
    assert join_channels([], "en") == ""


def test_it_names_the_channels_through_which_data_arrives(extended, rendered):
    en = extended[("en", "html")]
    nl = extended[("nl", "html")]
    assert "From you, through our website, by e-mail, phone or fax" in section(en, "purpose-security")
    assert "Van uzelf, via onze website, per e-mail, telefoon of fax" in section(nl, "purpose-security")
    assert (
        "The data you give us yourself reaches us through our website, by e-mail, phone or fax."
        in section(en, "sources")
    )
    assert (
        "De gegevens die u ons zelf geeft, ontvangen wij via onze website, per e-mail, telefoon of fax."
        in (section(nl, "sources"))
    )
    assert "from you, through our website, by e-mail, phone or fax;" in extended[("en", "md")]
    assert "van uzelf, via onze website, per e-mail, telefoon of fax;" in extended[("nl", "md")]
    assert "reaches us" not in rendered[("en", "html")]


def test_it_describes_observed_data_as_recorded_not_provided(extended):
    en = section(extended[("en", "html")], "purpose-statistics")
    nl = section(extended[("nl", "html")], "purpose-statistics")
    assert (
        "Do you have to provide the data? No: we record this data ourselves while you use our services." in en
    )
    assert (
        "Bent u verplicht de gegevens te verstrekken? Nee: deze gegevens leggen wij zelf vast terwijl u "
        in nl
    )
    assert "From our records of how you use our services (web server logs)" in en
    assert "Uit onze registratie van uw gebruik van onze diensten (logbestanden van onze webservers)" in nl
    # The requirement and consequence the policy states do not apply to data nobody provides.
    for text in (en, nl):
        for phrase in (
            "You need to provide",
            "If you do not provide",
            "U moet deze gegevens",
            "Als u ze niet",
        ):
            assert phrase not in text
    md_en = md_section(extended[("en", "md")], "### Statistics")
    md_nl = md_section(extended[("nl", "md")], "### Statistieken")
    assert "**Do you have to provide the data?** No: we record this data ourselves" in md_en
    assert "You need to provide" not in md_en
    assert "**Bent u verplicht de gegevens te verstrekken?** Nee: deze gegevens leggen wij zelf vast" in md_nl
    assert "U moet deze gegevens" not in md_nl


def test_it_keeps_observed_data_out_of_the_other_sources(extended):
    en = section(extended[("en", "html")], "sources")
    nl = section(extended[("nl", "html")], "sources")
    assert (
        "We record some data ourselves while you use our services, for example in log files: IP address" in en
    )
    assert "Sommige gegevens leggen wij zelf vast terwijl u onze diensten gebruikt, bijvoorbeeld in " in nl
    assert "Spamhaus blocklists: IP address, for Preventing abuse" in en
    assert "our records of how you use" not in en
    assert "onze registratie van uw gebruik" not in nl


def test_it_uses_the_recipient_name_of_each_language(extended):
    en = extended[("en", "html")]
    nl = extended[("nl", "html")]
    assert "Our mail delivery service" in section(en, "recipients")
    assert "Onze e-maildienstverlener" in section(nl, "recipients")
    assert "Our mail delivery service (the United States)" in section(en, "transfers")
    assert "Onze e-maildienstverlener (de Verenigde Staten)" in section(nl, "transfers")
    assert "Who receives it Our mail delivery service" in section(en, "purpose-security")
    assert "Wie ze ontvangt Onze e-maildienstverlener" in section(nl, "purpose-security")
    for lang, other in (("en", "Onze e-maildienstverlener"), ("nl", "Our mail delivery service")):
        for fmt in ("html", "md"):
            assert other not in extended[(lang, fmt)]


def test_it_asks_recipients_to_delete_data_and_follows_up(extended, rendered):
    en = section(extended[("en", "html")], "recipients")
    nl = section(extended[("nl", "html")], "recipients")
    assert (
        "Deletion by DNS Belgium: when your service ends, we ask them to delete your data, and follow up until "
        "they have confirmed the deletion." in en
    )
    assert (
        "Verwijdering door DNS Belgium: wanneer uw dienst eindigt, laten wij uw gegevens daar verwijderen, en "
        "volgen wij dat op totdat de verwijdering is bevestigd." in nl
    )
    # A name that describes the recipient by its kind reads in lower case inside the sentence.
    assert "Deletion by our mail delivery service: when your contract with us ends, we ask them" in en
    assert (
        "Verwijdering door onze e-maildienstverlener: wanneer uw overeenkomst met ons eindigt, laten wij"
        in nl
    )
    assert (
        "**Deletion by DNS Belgium:** when your service ends, we ask them to delete" in extended[("en", "md")]
    )
    assert "**Verwijdering door DNS Belgium:** wanneer uw dienst eindigt, laten wij" in extended[("nl", "md")]
    assert "follow up until" not in rendered[("en", "html")]
    assert "volgen wij dat op" not in rendered[("nl", "html")]


def test_it_has_an_erasure_phrase_for_every_start_event():
    for lang in ("en", "nl"):
        assert set(ERASURE_EVENTS[lang]) == set(StartEvent)


def test_it_describes_backups(extended):
    en = section(extended[("en", "html")], "security")
    nl = section(extended[("nl", "html")], "security")
    assert (
        "We make encrypted daily backups, kept at three separate locations. Backups are kept for 30 days, so "
        "data we delete disappears from every backup within 30 days." in en
    )
    assert (
        "Wij maken dagelijks versleutelde back-ups, die op drie verschillende locaties worden bewaard. Elke "
        "back-up bewaren wij 30 dagen, zodat gegevens die wij verwijderen, na uiterlijk 30 dagen ook uit alle "
        "back-ups verdwenen zijn." in nl
    )
    assert "We make encrypted daily backups, kept at three separate locations." in extended[("en", "md")]
    assert "Wij maken dagelijks versleutelde back-ups, die op drie" in extended[("nl", "md")]


def test_it_leaves_out_what_the_policy_does_not_say_about_backups(rendered):
    minimal = POLICY.replace(
        "  measures:\n", "  backups: {frequency: weekly, encrypted: false}\n  measures:\n"
    )
    loaded = policy(minimal)
    en = section(render_statement(loaded, "en", "html"), "security")
    nl = section(render_statement(loaded, "nl", "html"), "security")
    assert "We make weekly backups." in en
    assert "Wij maken wekelijks back-ups." in nl
    for text in (en, nl):
        assert "locati" not in text and "30" not in text
    assert "backup" not in rendered[("en", "html")]
    assert "back-up" not in rendered[("nl", "html")]


def test_it_explains_what_happens_after_a_data_breach(extended, rendered):
    en = section(extended[("en", "html")], "breaches")
    nl = section(extended[("nl", "html")], "breaches")
    assert en.startswith("Data breaches")
    assert nl.startswith("Datalekken")
    assert (
        "If a personal data breach occurs, we report it to the Data Protection Authority (Gegevensbeschermingsautoriteit / Autorité de "
        "protection des données) within 72 hours of becoming aware of it, unless it is unlikely to result in a "
        "risk to the people concerned." in en
    )
    assert (
        "Doet zich een datalek voor, dan melden wij dat binnen 72 uur nadat wij het hebben ontdekt bij de Gegevensbeschermingsautoriteit "
        "(GBA), tenzij het lek waarschijnlijk geen risico inhoudt voor de betrokkenen." in nl
    )
    assert (
        "If a breach affects your personal data, we always inform you personally, without undue delay." in en
    )
    assert "Treft een datalek uw persoonsgegevens, dan informeren wij u daar altijd persoonlijk" in nl
    assert (
        "If a breach in our systems affects personal data that you, as a customer, store in our services, we "
        "inform you without undue delay, and give you the information you need to report the breach yourself"
        in en
    )
    assert (
        "Treft een datalek in onze systemen persoonsgegevens die u als klant in onze diensten opslaat, dan "
        "informeren wij u zonder onnodige vertraging, en geven wij u de informatie die u nodig hebt om het lek "
        "zelf te melden" in nl
    )
    assert "## Data breaches" in extended[("en", "md")]
    assert "## Datalekken" in extended[("nl", "md")]
    assert "within 72 hours of becoming aware of it" in extended[("en", "md")]
    assert "binnen 72 uur nadat wij het hebben ontdekt" in extended[("nl", "md")]
    # The defaults: the authority is told, people where the law requires it, customers not.
    base_en = section(rendered[("en", "html")], "breaches")
    base_nl = section(rendered[("nl", "html")], "breaches")
    assert "likely to result in a high risk to your rights and freedoms, we inform you personally" in base_en
    assert "Brengt een datalek waarschijnlijk een hoog risico mee voor uw rechten en vrijheden" in base_nl
    assert "within 72 hours" in base_en
    assert "as a customer" not in base_en
    assert "als klant" not in base_nl


def test_it_tells_customers_of_a_breach_only_where_they_answer_for_the_data():
    as_controller = EXTENDED.replace(
        "customer_content:\n  role: processor", "customer_content:\n  role: controller"
    )
    loaded = policy(as_controller)
    assert "as a customer" not in section(render_statement(loaded, "en", "html"), "breaches")
    assert "als klant" not in section(render_statement(loaded, "nl", "html"), "breaches")
    without_evidence = policy(EXTENDED.replace("  evidence_for_customers: true\n", ""))
    en = section(render_statement(without_evidence, "en", "html"), "breaches")
    nl = section(render_statement(without_evidence, "nl", "html"), "breaches")
    assert "we inform you without undue delay." in en and "report the breach yourself" not in en
    assert "zonder onnodige vertraging." in nl and "zelf te melden" not in nl


def test_it_names_no_authority_it_does_not_know():
    abroad = EXTENDED.replace("  country: BE\n  email: privacy@", "  country: LU\n  email: privacy@")
    loaded = policy(abroad)
    assert (
        "If a personal data breach occurs, we report it to the competent supervisory authority within 72 hours"
        in text_of(render_statement(loaded, "en", "html"))
    )
    assert "bij de bevoegde toezichthoudende autoriteit" in text_of(render_statement(loaded, "nl", "html"))


def test_it_shows_the_support_notice_and_that_personal_data_is_flagged(extended, rendered):
    en = section(extended[("en", "html")], "support")
    nl = section(extended[("nl", "html")], "support")
    assert en.startswith("Support chat and tickets Our support chat is not meant for personal data")
    assert nl.startswith("Supportchat en tickets Onze supportchat is niet bedoeld voor persoonsgegevens")
    assert (
        "If you type personal data into our support chat or a support ticket, our system flags it before "
        in en
    )
    assert (
        "Typt u persoonsgegevens in onze supportchat of in een supportticket, dan markeert ons systeem " in nl
    )
    assert "## Support chat and tickets" in extended[("en", "md")]
    assert "## Supportchat en tickets" in extended[("nl", "md")]
    assert "our system flags it before the message is stored." in extended[("en", "md")]
    assert 'id="support"' not in rendered[("en", "html")]
    notice_only = policy(EXTENDED.replace("  flag_personal_data: true\n", ""))
    assert "flags it" not in render_statement(notice_only, "en", "html")
    assert "markeert" not in render_statement(notice_only, "nl", "md")


def test_it_limits_the_requirement_to_what_the_person_provides():
    loaded = policy(
        EXTENDED.replace(
            "    objection:\n      en: write", "    requirement: optional\n    objection:\n      en: write"
        )
    )
    en = section(render_statement(loaded, "en", "html"), "purpose-security")
    nl = section(render_statement(loaded, "nl", "html"), "purpose-security")
    assert (
        "Providing this data is optional. This applies to the data you give us yourself, not to the data we "
        "record while you use our services." in en
    )
    assert (
        "Het verstrekken van deze gegevens is niet verplicht. Dit geldt voor de gegevens die u ons zelf geeft, "
        "niet voor de gegevens die wij vastleggen terwijl u onze diensten gebruikt." in nl
    )
    assert "This applies to the data you give us yourself" in render_statement(loaded, "en", "md")
