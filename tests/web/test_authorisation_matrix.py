"""Who gets what at every URL of the project (P0.9, P3.15).

Every URL pattern (walked from the URL resolver, API endpoints included) has a row: the path requested
and the answer for each visitor. A pattern without a row fails the test, so that every new page is
added here with its rules. The columns:

    anon      a visitor who is not logged in
    outsider  Otto, customer of another organisation
    owner     Olga, owner of Bakkerij Jansen BV     billing   Bert, its billing contact
    tech      Tess, its technical contact            user      Ursula, a user there
    support, privacy (officer), abuse (desk), admin (administrator): staff, each with an authenticator app

Answers: a status code, ``login`` for a redirect to the log-in page, ``→/path`` for another redirect.
``reauth`` is allauth asking for the password again before two-factor settings change.
Every request is a GET; API endpoints answer 401 to anyone without an API token (session or not).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.accounts.personas import Personas, personas
from tests.conftest import POLICY

pytestmark = pytest.mark.django_db

COLUMNS = ("anon", "outsider", "owner", "billing", "tech", "user", "support", "privacy", "abuse", "admin")

# fmt: off
MATRIX: dict[str, tuple[str, str]] = {
    # route                                      path requested                       anon outsider owner billing tech user support privacy abuse admin
    "":                                          ("/",                                "200 200 200 200 200 200 200 200 200 200"),
    "privacy":                                   ("/privacy",                         "200 200 200 200 200 200 200 200 200 200"),
    "privacy/versions":                          ("/privacy/versions",                "200 200 200 200 200 200 200 200 200 200"),
    "privacy/versions/<int:number>":             ("/privacy/versions/1",              "200 200 200 200 200 200 200 200 200 200"),
    "privacy/versions/<int:old>/compare/<int:new>": ("/privacy/versions/1/compare/2", "200 200 200 200 200 200 200 200 200 200"),
    # the acceptable use policy (this policy has none: a page that says so) and the cookie settings: public
    "acceptable-use":                            ("/acceptable-use",                  "404 404 404 404 404 404 404 404 404 404"),
    "cookies":                                   ("/cookies",                         "200 200 200 200 200 200 200 200 200 200"),
    # data-subject requests from people without an account; the links work only for who holds them
    "privacy/request":                           ("/privacy/request",                 "200 200 200 200 200 200 200 200 200 200"),
    "privacy/request/confirm/<str:token>":       ("/privacy/request/confirm/bogus",   "200 200 200 200 200 200 200 200 200 200"),
    "privacy/download/<str:token>":              ("/privacy/download/bogus",          "410 410 410 410 410 410 410 410 410 410"),
    # the account: anyone logged in, about themselves
    "account/":                                  ("/account/",                        "login 200 200 200 200 200 200 200 200 200"),
    "account/history/":                          ("/account/history/",                "login 200 200 200 200 200 200 200 200 200"),
    "account/log-off-everywhere/":               ("/account/log-off-everywhere/",     "405 405 405 405 405 405 405 405 405 405"),
    "account/keep-two-factor/":                  ("/account/keep-two-factor/",        "405 405 405 405 405 405 405 405 405 405"),
    "account/sessions/":                         ("/account/sessions/",               "login 200 200 200 200 200 200 200 200 200"),
    "account/login/":                            ("/account/login/",                  "200 →/account/ →/account/ →/account/ →/account/ →/account/ →/account/ →/account/ →/account/ →/account/"),
    "account/logout/":                           ("/account/logout/",                 "→/ 200 200 200 200 200 200 200 200 200"),
    "account/inactive/":                         ("/account/inactive/",               "200 200 200 200 200 200 200 200 200 200"),
    "account/signup/":                           ("/account/signup/",                 "200 →/account/ →/account/ →/account/ →/account/ →/account/ →/account/ →/account/ →/account/ →/account/"),
    "account/reauthenticate/":                   ("/account/reauthenticate/",         "login 200 200 200 200 200 200 200 200 200"),
    # allauth's reauthentication by a code sent by e-mail: off (ACCOUNT_REAUTHENTICATION_METHODS), refused
    "account/reauthenticate/code/":              ("/account/reauthenticate/code/",    "login 403 403 403 403 403 403 403 403 403"),
    "account/reauthenticate/code/confirm/":      ("/account/reauthenticate/code/confirm/", "login 403 403 403 403 403 403 403 403 403"),
    "account/email/":                            ("/account/email/",                  "login 200 200 200 200 200 200 200 200 200"),
    "account/confirm-email/":                    ("/account/confirm-email/",          "200 200 200 200 200 200 200 200 200 200"),
    "account/^confirm-email/(?P<key>[-:\\w]+)/$": ("/account/confirm-email/bogus-key/", "200 200 200 200 200 200 200 200 200 200"),
    "account/password/change/":                  ("/account/password/change/",        "login 200 200 200 200 200 200 200 200 200"),
    "account/password/set/":                     ("/account/password/set/",           "login →/account/password/change/ →/account/password/change/ →/account/password/change/ →/account/password/change/ →/account/password/change/ →/account/password/change/ →/account/password/change/ →/account/password/change/ →/account/password/change/"),
    "account/password/reset/":                   ("/account/password/reset/",         "200 200 200 200 200 200 200 200 200 200"),
    "account/password/reset/done/":              ("/account/password/reset/done/",    "200 200 200 200 200 200 200 200 200 200"),
    "account/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": ("/account/password/reset/key/1-bogus/", "200 200 200 200 200 200 200 200 200 200"),
    "account/password/reset/key/done/":          ("/account/password/reset/key/done/", "200 200 200 200 200 200 200 200 200 200"),
    "account/login/code/confirm/":               ("/account/login/code/confirm/",     "login →/account/ →/account/ →/account/ →/account/ →/account/ →/account/ →/account/ →/account/ →/account/"),
    # two-factor: the customers' policy here is 'optional'; staff have an authenticator app, without recovery codes
    "account/2fa/":                              ("/account/2fa/",                    "login 200 200 200 200 200 200 200 200 200"),
    "account/2fa/authenticate/":                 ("/account/2fa/authenticate/",       "login →/account/ →/account/ →/account/ →/account/ →/account/ →/account/ →/account/ →/account/ →/account/"),
    "account/2fa/reauthenticate/":               ("/account/2fa/reauthenticate/",     "login reauth reauth reauth reauth reauth 200 200 200 200"),
    "account/2fa/totp/activate/":                ("/account/2fa/totp/activate/",      "login reauth reauth reauth reauth reauth reauth reauth reauth reauth"),
    "account/2fa/totp/deactivate/":              ("/account/2fa/totp/deactivate/",    "login 404 404 404 404 404 reauth reauth reauth reauth"),
    "account/2fa/recovery-codes/":               ("/account/2fa/recovery-codes/",     "login 404 404 404 404 404 404 404 404 404"),
    "account/2fa/recovery-codes/generate/":      ("/account/2fa/recovery-codes/generate/", "login reauth reauth reauth reauth reauth reauth reauth reauth reauth"),
    "account/2fa/recovery-codes/download/":      ("/account/2fa/recovery-codes/download/", "login 404 404 404 404 404 404 404 404 404"),
    # the customer portal: customers, each their own organisations only
    "portal/":                                   ("/portal/",                         "login 200 200 200 200 200 403 403 403 403"),
    "portal/organisations/<int:org_id>/":        ("/portal/organisations/{bakkerij}/", "login 404 200 200 200 200 403 403 403 403"),
    # the portal's own pages: about the signed-in person only; someone else's request is 404, as if it did not exist
    "portal/data/":                              ("/portal/data/",                    "login 200 200 200 200 200 403 403 403 403"),
    "portal/data/correct/":                      ("/portal/data/correct/",            "login 200 200 200 200 200 403 403 403 403"),
    "portal/data/download/":                     ("/portal/data/download/",           "405 405 405 405 405 405 405 405 405 405"),
    "portal/requests/":                          ("/portal/requests/",                "login 200 200 200 200 200 403 403 403 403"),
    "portal/requests/new/<str:kind>/":           ("/portal/requests/new/erasure/",    "login 200 200 200 200 200 403 403 403 403"),
    "portal/requests/<str:reference>/":          ("/portal/requests/{request}/",      "login 404 200 404 404 404 403 403 403 403"),
    "portal/requests/<str:reference>/downloads/<int:download_id>/": ("/portal/requests/{request}/downloads/{download}/", "login 404 200 404 404 404 403 403 403 403"),
    "portal/consents/":                          ("/portal/consents/",                "login 200 200 200 200 200 403 403 403 403"),
    # the console: staff, by role
    "console/":                                  ("/console/",                        "login 403 403 403 403 403 200 200 403 200"),
    "console/requests/":                         ("/console/requests/",               "login 403 403 403 403 403 200 200 403 200"),
    "console/requests/new/":                     ("/console/requests/new/",           "login 403 403 403 403 403 200 200 403 200"),
    "console/requests/<str:reference>/":         ("/console/requests/{request}/",     "login 403 403 403 403 403 200 200 403 200"),
    "console/requests/<str:reference>/original/": ("/console/requests/{request}/original/", "login 403 403 403 403 403 200 200 403 200"),
    "console/requests/<str:reference>/files/<int:pk>/": ("/console/requests/{request}/files/{file}/", "login 403 403 403 403 403 403 200 403 200"),
    # decisions are POST only, and for privacy officers and administrators (support: identity and withdrawal)
    "console/requests/<str:reference>/<slug:action>/": ("/console/requests/{request}/fulfil/", "login 403 403 403 403 403 405 405 403 405"),
    "console/search/":                           ("/console/search/",                 "login 403 403 403 403 403 200 200 200 200"),
    "console/people/<int:pk>/":                  ("/console/people/{person}/",        "login 403 403 403 403 403 200 200 200 200"),
    "console/people/<int:pk>/unlock/":           ("/console/people/{person}/unlock/", "login 403 403 403 403 403 405 405 403 405"),
    "console/people/<int:pk>/account/close/":    ("/console/people/{person}/account/close/", "login 403 403 403 403 403 405 405 403 405"),
    "console/people/<int:pk>/account/reopen/":   ("/console/people/{person}/account/reopen/", "login 403 403 403 403 403 405 405 403 405"),
    "console/people/<int:pk>/two-factor/remove/": ("/console/people/{person}/two-factor/remove/", "login 403 403 403 403 403 405 405 403 405"),
    "console/people/<int:pk>/two-factor/approve/": ("/console/people/{person}/two-factor/approve/", "login 403 403 403 403 403 405 405 403 405"),
    "console/people/<int:pk>/two-factor/withdraw/": ("/console/people/{person}/two-factor/withdraw/", "login 403 403 403 403 403 405 405 403 405"),
    "console/people/<int:pk>/notices/told/":     ("/console/people/{person}/notices/told/", "login 403 403 403 403 403 405 405 403 405"),
    "console/organisations/<int:pk>/":           ("/console/organisations/{bakkerij}/", "login 403 403 403 403 403 200 200 200 200"),
    # one member of staff's looks at records: for those who oversee the staff (here Sam's, of support)
    "console/staff/<int:pk>/looks/":             ("/console/staff/{staff}/looks/",    "login 403 403 403 403 403 403 200 403 200"),
    "console/policy/":                           ("/console/policy/",                 "login 403 403 403 403 403 200 200 200 200"),
    # the web access logs: the privacy officer alone (breach investigations)
    "console/weblogs/":                          ("/console/weblogs/",                "login 403 403 403 403 403 403 200 403 403"),
    "console/instructions/":                     ("/console/instructions/",           "login 403 403 403 403 403 200 200 403 200"),
    "console/instructions/new/":                 ("/console/instructions/new/",       "login 403 403 403 403 403 200 200 403 200"),
    "console/instructions/<int:pk>/":            ("/console/instructions/{instruction}/", "login 403 403 403 403 403 200 200 403 200"),
    # the Django admin (every pattern under admin/): administrators only; others go to its log-in, which refuses them
    "admin/*":                                   ("/admin/",                          "→/admin/login/ →/admin/login/ →/admin/login/ →/admin/login/ →/admin/login/ →/admin/login/ →/admin/login/ →/admin/login/ →/admin/login/ 200"),
    # the REST API: API tokens only
    "api/":                                      ("/api/",                            "404 404 404 404 404 404 404 404 404 404"),
    "api/openapi.json":                          ("/api/openapi.json",                "200 200 200 200 200 200 200 200 200 200"),
    "api/docs":                                  ("/api/docs",                        "200 200 200 200 200 200 200 200 200 200"),
    "api/organisations/<external_ref>":          ("/api/organisations/C1",            "401 401 401 401 401 401 401 401 401 401"),
    "api/people/<external_ref>":                 ("/api/people/C1",                   "401 401 401 401 401 401 401 401 401 401"),
    "api/services/<external_ref>":               ("/api/services/C1",                 "401 401 401 401 401 401 401 401 401 401"),
    "api/invoices/<external_ref>":               ("/api/invoices/C1",                 "401 401 401 401 401 401 401 401 401 401"),
    "api/requests":                              ("/api/requests",                    "405 405 405 405 405 405 405 405 405 405"),
    "api/requests/<reference>":                  ("/api/requests/R-2026-AAAAAA",      "401 401 401 401 401 401 401 401 401 401"),
}
# fmt: on

#: Admin pages checked besides the index: a change list and an object of another app.
ADMIN_SAMPLES = ("/admin/registry/organisation/", "/admin/journal/journalentry/")


def routes(patterns: list[URLPattern | URLResolver] | None = None, prefix: str = "") -> list[str]:
    found: list[str] = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found.extend(routes(pattern.url_patterns, prefix + str(pattern.pattern)))
        else:
            found.append(prefix + str(pattern.pattern))
    return found


def _row_for(route: str) -> str:
    if route.startswith("admin/"):
        return "admin/*"
    return route


def test_it_has_a_row_for_every_url_pattern() -> None:
    missing = sorted({r for r in routes() if _row_for(r) not in MATRIX})
    assert missing == [], f"add these URL patterns to MATRIX with their answers: {missing}"
    stale = sorted(set(MATRIX) - {_row_for(r) for r in routes()})
    assert stale == [], f"MATRIX rows without a URL pattern: {stale}"
    assert all(len(answers.split()) == len(COLUMNS) for _, answers in MATRIX.values())


def _answer(response) -> str:
    if response.status_code in (301, 302):
        location = response["Location"].split("?", 1)[0]
        if location == "/account/login/":
            return "login"
        if location == "/account/reauthenticate/":
            return "reauth"
        return "→" + location
    return str(response.status_code)


def path_ids(personas: Personas) -> dict[str, object]:
    """Makes what the matrix's paths name besides the personas (Olga's instruction to look at the mail
    logs of Bakkerij Jansen for a day, recorded by Sam; a request with a file to download) and returns
    the values of the paths' placeholders."""
    from trustdesk.accounts.services import do_record_instruction

    instruction = do_record_instruction(
        organisation=personas.bakkerij,
        given_by=personas.olga.profile.person,
        scope="the mail logs",
        valid_from=timezone.now(),
        valid_until=timezone.now() + dt.timedelta(days=1),
        channel="email",
        recorded_by=personas.sam,
    )
    request, download = _request_with_a_file(personas)
    return {
        "bakkerij": personas.bakkerij.pk,
        "instruction": instruction.pk,
        "request": request.reference,
        "file": download.pk,
        "download": download.pk,
        "person": personas.olga.profile.person.pk,
        "staff": personas.sam.pk,
    }


@pytest.fixture
def world(personas: Personas, publish, data_dir):
    publish(POLICY.replace("attempts: 5", "attempts: 4"))  # a second version, for the comparison page
    ids = path_ids(personas)
    visitors = {
        "anon": None,
        "outsider": personas.otto,
        "owner": personas.olga,
        "billing": personas.bert,
        "tech": personas.tess,
        "user": personas.ursula,
        "support": personas.sam,
        "privacy": personas.pia,
        "abuse": personas.abe,
        "admin": personas.ada,
    }
    return visitors, ids


def _request_with_a_file(personas: Personas):
    """A fulfilled access request about Olga, with its report, and the letter it came in."""
    from django.core.files.base import ContentFile

    from trustdesk.registry.services import Actor
    from trustdesk.rights import services
    from trustdesk.rights.fulfil import do_fulfil

    staff = Actor.operator("test")
    made = services.do_open_request(
        "access",
        channel="letter",
        actor=staff,
        person=personas.olga.profile.person,
        original=ContentFile(b"a letter", name="letter.txt"),
    )
    services.do_verify_identity(made, method="staff", actor=staff)
    do_fulfil(made, actor=staff)
    return made, made.downloads.order_by("pk").first()


def test_it_gives_each_visitor_the_answer_in_the_matrix(world) -> None:
    visitors, ids = world
    clients: dict[str, Client] = {}
    for column, user in visitors.items():
        clients[column] = Client()
        if user is not None:
            clients[column].force_login(user)
    wrong: list[str] = []
    for route, (path, answers) in MATRIX.items():
        url = path.format(**ids)
        for column, expected in zip(COLUMNS, answers.split(), strict=True):
            got = _answer(clients[column].get(url))
            if got != expected:
                wrong.append(f"{route!r} {url} as {column}: expected {expected}, got {got}")
    assert wrong == [], "\n".join(wrong)


def test_it_keeps_the_admin_to_administrators(world) -> None:
    visitors, _ = world
    for column, user in visitors.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        for url in ADMIN_SAMPLES:
            expected = "200" if column == "admin" else "→/admin/login/"
            assert _answer(client.get(url)) == expected, (column, url)
    refused = Client()
    refused.force_login(visitors["support"])
    assert refused.get("/admin/login/").status_code == 403


def test_it_shows_each_colleague_what_their_registry_role_allows(world) -> None:
    visitors, ids = world
    expected = {
        "owner": {"Details", "Contacts", "Services", "Invoices"},
        "billing": {"Details", "Invoices"},
        "tech": {"Details", "Services"},
        "user": {"Details"},
    }
    for column, sections in expected.items():
        client = Client()
        client.force_login(visitors[column])
        page = client.get(f"/portal/organisations/{ids['bakkerij']}/").content.decode()
        shown = {name for name in ("Details", "Contacts", "Services", "Invoices") if f"{name}</h2>" in page}
        assert shown == sections, column


__all__ = ["personas"]
