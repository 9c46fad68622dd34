"""The site served under a path of its host (``TRUSTDESK_URL_PREFIX``, Django's ``FORCE_SCRIPT_NAME``).

The proxy in front passes requests on without the prefix, as the test client does here; every link,
form, redirect, static file and e-mail link the pages give must carry it, and lead somewhere once the
proxy has taken it off again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import set_script_prefix

from tests.accounts.personas import PASSWORD, Personas, give_totp, personas
from tests.personas import commit
from tests.portal.conftest import client_for
from tests.smtp import smtp

pytestmark = pytest.mark.django_db

__all__ = ["commit", "personas", "smtp"]

PREFIX = "/privacy-desk"

#: Every attribute of a page that holds an address the browser goes to or loads.
ADDRESSES = re.compile(r'\b(?:href|src|action|formaction)="([^"]*)"')

PUBLIC = (
    "/",
    "/privacy",
    "/privacy/versions",
    "/privacy/request",
    "/cookies",
    "/account/login/",
    "/account/password/reset/",
)
CUSTOMER = (
    "/account/",
    "/account/history/",
    "/account/sessions/",
    "/account/2fa/",
    "/account/email/",
    "/portal/",
    "/portal/data/",
    "/portal/requests/",
    "/portal/consents/",
)
STAFF = ("/console/", "/console/requests/", "/console/policy/", "/console/search/", "/console/instructions/")


@pytest.fixture
def prefixed(settings) -> Iterator[str]:
    """The prefix in force. Django's WSGI handler sets the thread's script prefix from it at every request;
    the test client does not, so it is set here as the handler would (``test_a_real_server_...`` runs the
    handler itself)."""
    settings.FORCE_SCRIPT_NAME = PREFIX
    settings.STATIC_URL = f"{PREFIX}/static/"  # as trustdesk/settings.py makes it from the prefix
    set_script_prefix(PREFIX + "/")
    try:
        yield PREFIX
    finally:
        set_script_prefix("/")  # later tests of this process reverse without it


def _local(page: str) -> set[str]:
    found = {address.replace("&amp;", "&") for address in ADDRESSES.findall(page)}
    return {address for address in found if address.startswith("/") and not address.startswith("//")}


def _crawl(client: Client, paths: tuple[str, ...]) -> set[str]:
    """The local addresses the pages give, each checked to carry the prefix."""
    seen: set[str] = set()
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.get("Location"))
        addresses = _local(response.content.decode())
        assert addresses, path
        outside = sorted(a for a in addresses if not a.startswith(PREFIX + "/"))
        assert outside == [], path
        seen |= addresses
    return seen


def _lead_somewhere(client: Client, addresses: set[str]) -> None:
    """Each address, with the prefix taken off as the proxy does, is a page, a redirect, a file or a form's
    target: none is missing."""
    for address in sorted(addresses):
        path = address[len(PREFIX) :]
        if path.startswith("/account/logout/"):
            continue  # would end the session the next ones need
        response = client.get(path)
        assert response.status_code in (200, 302, 405), (address, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith((PREFIX + "/", "http://testserver" + PREFIX + "/")), (
                address
            )


def test_every_public_page_links_under_the_prefix(prefixed, personas: Personas) -> None:
    client = Client()
    addresses = _crawl(client, PUBLIC)
    assert any(a.startswith(f"{PREFIX}/static/web/trustdesk") for a in addresses)  # the style sheet
    _lead_somewhere(client, addresses)
    login = client.get("/account/")
    assert login["Location"] == f"{PREFIX}/account/login/?next={PREFIX}/account/"


def test_every_customer_and_staff_page_links_under_the_prefix(prefixed, personas: Personas) -> None:
    customer = client_for(personas.olga)
    _lead_somewhere(customer, _crawl(customer, CUSTOMER))
    officer = client_for(personas.pia)
    _lead_somewhere(officer, _crawl(officer, STAFF))


def test_logging_in_under_the_prefix_ends_on_the_account_page(prefixed, personas: Personas) -> None:
    client = Client()
    done = client.post("/account/login/", {"login": personas.olga.email, "password": PASSWORD})
    assert done.status_code == 302 and done["Location"] == f"{PREFIX}/account/"


def test_e_mail_links_carry_the_prefix(prefixed, personas: Personas, smtp, commit, settings) -> None:
    """allauth's links (built from the request) and Trustdesk's (``TRUSTDESK_SITE_URL`` and the path)."""
    client = Client()
    client.post("/account/password/reset/", {"email": personas.olga.email})
    [reset] = smtp.to(personas.olga.email)
    assert f"http://testserver{PREFIX}/account/password/reset/key/" in smtp.text(reset)
    give_totp(personas.olga)
    page = f"/console/people/{personas.olga.profile.person.pk}/two-factor/remove/"
    with commit():
        client_for(personas.sam).post(page, {"two_factor-reason": "She called from her known number"})
    warning = smtp.to(personas.olga.email)[-1]
    assert f"{settings.SITE_URL}{PREFIX}/account/" in smtp.text(warning)


def test_the_static_files_are_served_for_the_address_the_proxy_passes_on(prefixed, settings) -> None:
    """WhiteNoise serves the files (collectstatic's folder in production; the apps' folders here) for the path
    without the prefix, as the proxy passes it on, while the pages name them with it."""
    from django.http import HttpResponse
    from django.templatetags.static import static
    from django.test import RequestFactory
    from whitenoise.middleware import WhiteNoiseMiddleware  # type: ignore[import-untyped]

    settings.WHITENOISE_USE_FINDERS = True
    served = WhiteNoiseMiddleware(lambda request: HttpResponse("not a static file", status=404))
    named = static("web/trustdesk.css")
    assert named == f"{PREFIX}/static/web/trustdesk.css"
    answer = served(RequestFactory().get(named[len(PREFIX) :]))
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/css")
