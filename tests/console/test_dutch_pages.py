"""The console and the portal in Dutch: no English word of the interface is left on the main pages.

Each page is rendered for a reader who asks for Dutch; its visible text (and the attributes a screen reader
reads) must hold none of the English words below: labels of the registry's fields and choices, and the
refusals of the rights services, which the interface once showed in English.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.console.conftest import Desk
from trustdesk.registry.models import Role, Service
from trustdesk.registry.services import do_create, do_link_person
from trustdesk.rights import services

#: English words of the interface; none may appear on a Dutch page.
ENGLISH = (
    # field names of the registry's records
    "first name",
    "last name",
    "e-mail address",
    "postal code",
    "job title",
    "street",
    "city",
    "country",
    "mobile",
    "notes",
    "tags",
    "billing system reference",
    # choices of the registry
    "customer contact",
    "billing contact",
    "technical contact",
    "owner",
    "web hosting",
    "domain name",
    "private person",
    "company",
    # the rights services' refusals
    "request",
    "cannot become",
    "cannot be extended",
    "only a request in progress",
    "identity settled",
    "can be fulfilled",
    "is about nobody on record",
    "choose the person first",
    "needs its reasons",
    "longer than",
    "the policy allows",
    # words of the pages around them
    "created",
    "changed",
    "received",
    "in progress",
    "withdrawn",
    "waiting for",
    "access",
    "erasure",
    "and",
    "the",
    "with",
    "your",
    "you",
)


class _Visible(HTMLParser):
    """The text a reader sees or hears: text outside code, scripts and styles, and the labelling attributes."""

    SKIP = {"code", "script", "style"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        for name, value in attrs:
            if name in ("title", "aria-label", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _english_on(page: str, *, data: tuple[str, ...] = ()) -> list[str]:
    parser = _Visible()
    parser.feed(page)
    text = " ".join(parser.parts)
    for value in data:  # the records' own values are not the interface's words
        text = text.replace(value, " ")
    return [word for word in ENGLISH if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, re.I)]


def _dutch(client, path: str, method: str = "get", **data) -> str:
    response = getattr(client, method)(path, data, HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code in (200, 400), (path, response.status_code)
    page = response.content.decode()
    assert '<html lang="nl"' in page
    return page


def _data(desk: Desk) -> tuple[str, ...]:
    bob, company = desk.people.bob, desk.people.company
    return (bob.first_name, bob.last_name, bob.email, company.name, company.email or "", "Hostwerk")


def test_it_shows_the_queue_in_dutch(desk: Desk) -> None:
    desk.open("access")
    desk.open("erasure", days_ago=40)
    page = _dutch(desk.client("pia"), "/console/requests/")
    assert _english_on(page, data=_data(desk)) == []


def test_it_shows_an_illegal_move_in_dutch(desk: Desk) -> None:
    item = desk.open("access")
    client = desk.client("pia")
    page = _dutch(client, f"/console/requests/{item.reference}/fulfil/", "post")
    assert "alleen een verzoek in behandeling" in page
    assert _english_on(page, data=(*_data(desk), item.reference)) == []
    services.do_withdraw_request(item, actor=services.Actor(ref="operator:test"))
    page = _dutch(
        client,
        f"/console/requests/{item.reference}/extend/",
        "post",
        **{"extend-by": "P2M", "extend-reason": "Veel gegevens op te zoeken."},
    )
    assert "het kan niet worden verlengd" in page
    assert _english_on(page, data=(*_data(desk), item.reference, "Veel gegevens op te zoeken.")) == []


def test_it_shows_a_request_about_nobody_in_dutch(desk: Desk) -> None:
    item = services.do_open_request(
        "restriction", channel="letter", actor=services.Actor(ref="operator:test"), email="iemand@example.nl"
    )
    client = desk.client("pia")
    client.post(f"/console/requests/{item.reference}/verify/", {"verify-method": "staff"})
    page = _dutch(client, f"/console/requests/{item.reference}/fulfil/", "post")
    assert "gaat over niemand die bij ons bekend is" in page
    assert _english_on(page, data=(*_data(desk), item.reference, "iemand@example.nl")) == []


def test_it_shows_a_record_in_dutch(desk: Desk) -> None:
    bob, company = desk.people.bob, desk.people.company
    do_create(
        Service,
        {"organisation": company, "kind": Service.Kind.WEB_HOSTING},
        actor=services.Actor(ref="operator:test"),
    )
    if not bob.roles.filter(organisation=company).exists():
        do_link_person(company, bob, Role.Kind.BILLING, actor=services.Actor(ref="operator:test"))
    client = desk.client("pia")
    person = _dutch(client, f"/console/people/{bob.pk}/")
    assert "voornaam" in person and "e-mailadres" in person
    assert _english_on(person, data=_data(desk)) == []
    organisation = _dutch(client, f"/console/organisations/{company.pk}/")
    assert "webhosting" in organisation
    assert _english_on(organisation, data=_data(desk)) == []


def test_it_shows_search_results_in_dutch(desk: Desk) -> None:
    page = _dutch(desk.client("pia"), "/console/search/", "post", q=desk.people.bob.last_name)
    assert desk.people.bob.email in page
    assert _english_on(page, data=_data(desk)) == []


def test_it_shows_the_person_look_up_of_the_entry_page_in_dutch(desk: Desk) -> None:
    page = _dutch(
        desk.client("pia"), "/console/requests/new/", "post", **{"lookup-q": desk.people.bob.last_name}
    )
    assert desk.people.bob.email in page and "Zoek de persoon op naam of e-mailadres" in page
    assert _english_on(page, data=_data(desk)) == []


def test_it_shows_my_data_in_dutch(desk: Desk) -> None:
    from django.test import Client

    client = Client()
    client.force_login(desk.staff.olga)
    olga = desk.staff.olga.profile.person
    page = _dutch(client, "/portal/data/")
    assert (
        _english_on(
            page, data=(olga.first_name, olga.last_name, olga.email, "Bakkerij Jansen BV", "Hostwerk")
        )
        == []
    )


def test_it_refuses_and_misses_pages_in_dutch(desk: Desk) -> None:
    from django.test import Client

    customer = Client()
    customer.force_login(desk.staff.olga)
    refused = customer.get("/console/requests/", HTTP_ACCEPT_LANGUAGE="nl")
    assert refused.status_code == 403
    assert "Geen toegang" in refused.content.decode()
    missing = desk.client("pia").get("/console/people/999999/", HTTP_ACCEPT_LANGUAGE="nl")
    assert missing.status_code == 404
    page = missing.content.decode()
    assert '<html lang="nl"' in page and "Pagina niet gevonden" in page
    assert _english_on(page) == [] and _english_on(refused.content.decode()) == []


def test_it_shows_the_policy_check_in_dutch(desk: Desk) -> None:
    from django.utils import translation

    from tests.policy.test_lint import edit
    from trustdesk.policy.datamap_check import check_against_datamap
    from trustdesk.policy.lint import lint
    from trustdesk.policy.loader import load_text
    from trustdesk.policy.services import do_publish_policy

    text = edit(  # no telephone or website, no data protection officer, staff sign in with one factor
        ('  phone: "+32 9 123 45 67"\n', ""),
        ("  website: https://hostwerk.example\n", ""),
        ("  dpo:\n    name: Anna Peeters\n    email: dpo@hostwerk.example\n", ""),
        ("{staff: required, customers: optional}", "{staff: optional, customers: optional}"),
    )
    do_publish_policy(text, "policy.yaml", actor="operator:test")
    response = desk.client("abe").get("/console/policy/", HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="nl"' in page
    findings = [line["finding"] for line in response.context["findings"]]
    assert {"TD101", "TD102", "TD160"} <= {f.code for f in findings}
    assert "de verwerkingsverantwoordelijke vermeldt alleen een e-mailadres" in page
    assert "er is geen functionaris voor gegevensbescherming aangewezen" in page
    assert "medewerkers kunnen inloggen zonder tweede factor" in page
    assert "waarschuwing" in page and "ter informatie" in page
    # the articles as Dutch law is cited, never the English form
    by_code = {f.code: f for f in findings}
    assert by_code["TD102"].article == "AVG art. 13 lid 1 onder b, 37"
    assert "<code>TD102</code> AVG art. 13 lid 1 onder b, 37" in page
    assert "GDPR" not in page and "Art. " not in page
    with translation.override("en"):
        loaded = load_text(text, "policy.yaml")
        english = [f.message for f in lint(loaded) + check_against_datamap(loaded)]
    assert len(english) == len(findings)
    assert [message for message in english if message in page] == []
    ours = " ".join(f.message for f in findings if f.code in ("TD101", "TD102", "TD160"))
    assert _english_on(f"<p>{ours}</p>") == []
