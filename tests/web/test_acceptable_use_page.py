"""The acceptable use policy page: every category, sanction, remedy and the way to report, in en and nl (P1.1, P1.2)."""

from __future__ import annotations

import html

import pytest
import yaml
from django.test import Client

from tests.conftest import EXAMPLES, POLICY
from trustdesk.policy.loader import load_text

pytestmark = pytest.mark.django_db

#: The test policy with the acceptable use policy of seed 001 (eleven categories, eight sanctions).
_OSSC = yaml.safe_load((EXAMPLES / "ossc-be.yaml").read_text(encoding="utf-8"))
AUP_POLICY = POLICY + yaml.safe_dump(
    {"acceptable_use": _OSSC["acceptable_use"]}, allow_unicode=True, sort_keys=False
)


def _page(client: Client, query: str = "", *, accept_language: str = "") -> str:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = client.get("/acceptable-use" + query, headers=headers)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_it_shows_every_category_sanction_and_remedy_in_each_language(client: Client, publish, lang) -> None:
    publish(AUP_POLICY)
    aup = load_text(AUP_POLICY, "aup.yaml").policy.acceptable_use
    assert aup is not None and len(aup.categories) == 11
    page = _page(client, f"?lang={lang}")
    assert f'<article class="acceptable-use" lang="{lang}">' in page
    flat = " ".join(page.split())
    assert aup.introduction is not None and " ".join(aup.introduction.get(lang).split()) in flat
    for category in aup.categories.values():
        assert category.name.get(lang) in page
        assert " ".join(category.description.get(lang).split()) in flat
        if category.liability is not None:
            assert " ".join(category.liability.get(lang).split()) in flat
        for remedy in category.remedies:
            assert remedy.get(lang) in page
    for sanction in aup.sanctions.values():
        assert sanction.name.get(lang) in page
    assert 'href="mailto:abuse@librehosting.example.be"' in page


def test_it_says_which_sanctions_apply_at_once_and_what_needs_written_consent(
    client: Client, publish
) -> None:
    publish(AUP_POLICY)
    page = _page(client, "?lang=en")
    illegal = page.split('id="category-illegal_software"')[1].split("</section>")[0]
    assert "We take these steps at once, before we assess the report:" in illegal
    immediate = illegal.split('class="sanctions-immediate"')[1].split("</ul>")[0]
    assert "Temporary suspension of the services involved" in immediate
    assert "Notifying the legal or internet authorities" in immediate
    assert "Termination of the agreement involved" not in immediate
    assert "After assessment, it can also lead to:" in illegal
    irc = page.split('id="category-irc"')[1].split("</section>")[0]
    assert "Allowed only with our prior written consent." in irc
    spam = page.split('id="category-spam"')[1].split("</section>")[0]
    assert "What you are liable for:" in spam and "blacklisting" in spam
    assert "Allowed only with our prior written consent." not in spam
    resources = page.split('id="category-resource_abuse"')[1].split("</section>")[0]
    assert "Before any sanction, we first offer you to:" in resources
    assert "If none of these is done, it can lead to:" in resources


def test_it_says_what_a_report_should_hold_in_each_language(client: Client, publish) -> None:
    publish(AUP_POLICY)
    english = _page(client, "?lang=en")
    reporting = english.split('id="reporting"')[1]
    for detail in (
        "the domain name involved",
        "the e-mail address involved",
        "the website involved",
        "the IP address involved",
        "a detailed description of the abuse",
    ):
        assert detail in reporting
    assert "evidence, such as" not in reporting  # not among this policy's details
    dutch = _page(client, "?lang=nl").split('id="reporting"')[1]
    assert "Misbruik melden" in dutch
    assert "de betrokken domeinnaam" in dutch and "het betrokken IP-adres" in dutch
    assert "Iedereen kan een overtreding van dit beleid melden per e-mail" in dutch


def test_it_follows_the_visitors_language_and_the_switch(client: Client, publish) -> None:
    publish(AUP_POLICY)
    page = _page(client, accept_language="nl-BE,nl;q=0.9")
    assert '<html lang="nl">' in page and "Beleid voor aanvaardbaar gebruik" in page
    assert 'href="?lang=en"' in page
    page = _page(client, "?lang=xx")
    assert '<html lang="en">' in page and "What is not allowed" in page


def test_it_links_the_policy_from_every_pages_footer_when_there_is_one(client: Client, publish) -> None:
    publish(AUP_POLICY)
    for url in ("/", "/privacy", "/privacy/versions", "/cookies", "/acceptable-use", "/privacy/request"):
        footer = client.get(url).content.decode().split('<footer class="container site-footer">')[1]
        assert 'href="/acceptable-use"' in footer, url


def test_it_explains_when_the_policy_has_no_acceptable_use_policy(client: Client, publish) -> None:
    publish()
    response = client.get("/acceptable-use?lang=nl")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Hostwerk Test BV heeft hier geen beleid voor aanvaardbaar gebruik gepubliceerd." in page
    assert 'href="mailto:privacy@hostwerk.example"' in page
    assert 'href="/acceptable-use"' not in page  # no footer link to a policy that does not exist


def test_it_says_when_no_policy_is_in_effect(client: Client) -> None:
    response = client.get("/acceptable-use")
    assert response.status_code == 503
    assert "No privacy statement is in effect yet" in response.content.decode()


def test_it_renders_the_starter_policy_with_its_introduction(client: Client, starter_policy) -> None:
    page = _page(client, "?lang=nl")
    assert "Dit beleid houdt ons netwerk betrouwbaar en veilig" in page
    assert "Poortscans" in page and "De bevoegde instanties inlichten" in page
    assert "De klant betaalt de kosten om onze adressen van zwarte lijsten te laten verwijderen." in page
