"""Hostile input at every URL of the project: never a 500, a refusal that says what is wrong, nothing lost.

Every route of the authorisation matrix (``MATRIX``) is asked by a visitor who is not logged in, by Olga
(a customer, the owner of Bakkerij Jansen) and by Pia (the privacy officer); the API's endpoints without a
token and with a token of every scope; the Django admin by Ada (the administrator): the list of one model
of each app, the record pages of every model. The cases:

- GET: every parameter the route's view reads (its filters, search terms, sort keys and page numbers, and
  ``next`` and ``lang`` everywhere) given a NUL byte, invalid UTF-8 and lone surrogates, 100 kB, SQL-,
  HTML- and template-looking text, another site and a line break, and where it reads a number a huge,
  a negative and a non-numeric one; repeated and too many parameters; every value the path takes (a case
  number, an id, a token) replaced by such values; hostile headers, cookies and host; hostile API tokens;
- POST (PUT where the API writes): an empty body; every field of the route's form given such values, and
  negative numbers, impossible dates, wrong formats; a field of 1 MB and a body over Django's limit;
  missing, unknown, repeated and too many fields; invalid UTF-8, other character sets and content types,
  malformed multipart bodies; for the API invalid JSON, JSON of the wrong shape and types, and each field
  of a valid record given a hostile value alone; for the staff entry form truncated, empty and binary files.

A visitor the matrix sends to log in, or refuses, is asked fewer cases: those that reach the code that
refuses them; so is a page that takes no POST (405). What Django refuses before any view (a body it
cannot read, too many parameters, another host) and cookies that make anyone a visitor are sent once per
route.

The answers: never 500 and no exception out of a view; a refusal (4xx) says what is wrong (a page with
text; the API's ``{"errors": {...}}``), a 405 names the methods allowed; a form that answers a POST shows
what was sent, not the empty form; no value sent stands in a log line; and after the POSTs every row
stored before is still there and unchanged (the moments of a visit aside), and the journal verifies.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.test import Client, override_settings

from tests.accounts.personas import PASSWORD, Personas, make_personas
from tests.api.conftest import INVOICE, ORGANISATION, PERSON, SERVICE
from tests.conftest import POLICY
from tests.web.test_authorisation_matrix import COLUMNS, MATRIX, path_ids

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

# --- the world: the matrix's, made once for the module -----------------------------------------------------


@dataclass
class World:
    personas: Personas
    ids: dict[str, Any]
    token: str
    #: Each visitor's cookies: the session (logged in for Olga and Pia) and the CSRF cookie, made once.
    cookies: dict[str, dict[str, str]]
    #: The test client's handler with its middleware, loaded once (whitenoise reads every static file).
    handler: Any

    def path(self, route: str) -> str:
        return MATRIX[route][0].format(**self.ids)


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The authorisation matrix's world (its request with a file, an instruction, a second policy version),
    an organisation and a service made through the API, and an API token of every scope: made once, in a
    transaction rolled back after the module; each test runs in a savepoint of it (pytest-django's ``db``).
    The throttles are wide open, so that every case reaches its form."""
    from trustdesk.api.models import Scope
    from trustdesk.api.services import do_create_token
    from trustdesk.lib import pseudonyms
    from trustdesk.policy.services import do_publish_policy
    from trustdesk.registry.services import Actor

    throttles = {scope: (10**6, 3600) for scope in settings.TRUSTDESK_THROTTLE}
    with (
        django_db_blocker.unblock(),
        pytest.MonkeyPatch.context() as patch,
        override_settings(
            DATA_DIR=tmp_path_factory.mktemp("hostile"),
            SITE_URL="https://privacy.hostwerk.example",
            TRUSTDESK_THROTTLE=throttles,
            ACCOUNT_RATE_LIMITS=False,
            # Every password sent is checked: with argon2 that is a tenth of a second each.
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            # The signed-in visitors said who they are once (below): the account pages that ask it again
            # before a change (e-mail addresses) then reach their forms for the whole module.
            ACCOUNT_REAUTHENTICATION_TIMEOUT=24 * 3600,
        ),
    ):
        patch.delenv(pseudonyms.ENV_KEY_FILE, raising=False)
        outer = transaction.atomic()
        outer.__enter__()
        try:
            do_publish_policy(POLICY, "policy.yaml", actor="test")
            do_publish_policy(POLICY.replace("attempts: 5", "attempts: 4"), "policy.yaml", actor="test")
            personas = make_personas()
            _token, plaintext = do_create_token("sync", Scope.values, actor=Actor.operator("test"))
            api = Client(headers={"Authorization": f"Bearer {plaintext}"})
            for path, body in (("/api/organisations/ORG-1", ORGANISATION), ("/api/services/SVC-1", SERVICE)):
                assert api.put(path, json.dumps(body), content_type=JSON).status_code == 201
            ids = path_ids(personas)
            cookies = {}
            handler = api.handler
            for role in ROLES:
                client = Client()
                client.handler = handler
                if user_of_persona(personas, role) is not None:
                    client.force_login(user_of_persona(personas, role))
                    assert client.post("/account/reauthenticate/", {"password": PASSWORD}).status_code == 302
                client.get("/privacy/request")  # the CSRF cookie; the signed-in session's tracking
                cookies[role] = {name: morsel.value for name, morsel in client.cookies.items()}
            yield World(personas, ids, plaintext, cookies, handler)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


ROLES = ("anon", "owner", "privacy")
WEB_ROUTES = [route for route in MATRIX if not route.startswith("api/")]
API_ROUTES = [route for route in MATRIX if route.startswith("api/")]
#: The API's own endpoints, which answer every refusal with ``{"errors": {...}}``.
API_ENDPOINTS = [route for route in API_ROUTES if route not in ("api/", "api/openapi.json", "api/docs")]
#: The API's endpoints without a token and with one; its documentation and its root without.
API_CASES = [
    (role, route) for route in API_ROUTES for role in ("anon", "token")[: 2 if route in API_ENDPOINTS else 1]
]


def user_of_persona(personas: Personas, role: str) -> Any:
    return {"owner": personas.olga, "privacy": personas.pia}.get(role)


def client_for(world: World, role: str) -> Client:
    """A client with the visitor's cookies (a first visit is answered with cookies, which costs a tenth of
    a module's time), and the handler loaded once."""
    client = Client()
    client.handler = world.handler
    for name, value in world.cookies.get(role, {}).items():
        client.cookies[name] = value
    if role == "token":
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {world.token}"
    return client


def answer(route: str, role: str) -> str:
    """The matrix's answer to the visitor's GET of the route."""
    return MATRIX[route][1].split()[COLUMNS.index(role)]


def reads_query(route: str, role: str) -> bool:
    """Whether the visitor's GET reaches the route's view: not when the visitor is sent to log in (or to give
    the password again) or refused (403)."""
    return answer(route, role) not in ("login", "reauth", "403", "→/admin/login/")


def reads_form(route: str, role: str) -> bool:
    """Whether the visitor's POST reaches the route's form: not where the GET is sent elsewhere."""
    return answer(route, role) in ("200", "404", "405", "410")


def first_to_read(route: str) -> str | None:
    return next((role for role in ROLES if reads_form(route, role)), None)


Case = tuple[str, Callable[[Client], Any]]


def _get(url: str, **extra: Any) -> Callable[[Client], Any]:
    return lambda client: client.get(url, **extra)


# --- GET: query strings, values in the path, headers and cookies -------------------------------------------

MARKUP = "'\";--<script>alert(1)</script>{{ x }}{% debug %}%(x)s{0}"
#: Query values, percent-encoded as they stand in the query string.
QUERY_VALUES: dict[str, str] = {
    "NUL and markup": "1%00" + quote(MARKUP),
    "invalid UTF-8 and lone surrogates": "%ff%fe%ed%a0%80%c0%af",
    "100 kB": "x" * 100_000,
    "huge": "9" * 40,
    "not a number": "1e999abc",
    "another site, a line break": quote("//evil.example/") + "%0d%0aSet-Cookie:%20x=1",
}
#: Those still asked where the visitor is sent to log in, or refused: they go into the log-in's ``next``.
REFUSED_QUERY_VALUES = ("NUL and markup", "100 kB", "another site, a line break")
#: Each parameter four times; the last, which ``QueryDict.get`` gives, negative.
REPEATED_VALUES = ("1", "%00", "", "-1")
#: Parameters and fields that are numbers (pages, ids, codes), and the values only they are given.
NUMBERS = {"page", "person", "p", "o", "organisation", "objection", "restriction", "code"}
NUMBER_VALUES = {"huge", "not a number", "negative", "huge number"}

#: Pages that read nothing of a query string (the API's description): the refused cases suffice.
READS_NO_QUERY = ("api/openapi.json", "api/docs")
#: The parameters every page is asked with, and those each route's view reads besides.
COMMON_PARAMETERS = ("next", "lang")
PARAMETERS: dict[str, tuple[str, ...]] = {
    "cookies": ("saved",),
    "console/requests/": ("status", "kind", "closed", "page"),
    "console/requests/new/": ("person", "q"),
    "console/search/": ("q",),
    "admin/*": ("q", "o", "p", "e", "all", "_changelist_filters"),
    "api/organisations/<external_ref>": ("purpose",),
    "api/people/<external_ref>": ("purpose",),
    "api/services/<external_ref>": ("purpose",),
    "api/invoices/<external_ref>": ("purpose",),
}

#: Values of a value the path takes, percent-encoded as they stand in the path.
SEGMENT_VALUES: dict[str, str] = {
    "NUL": "%00",
    "NUL inside": "R-2026-%00",
    "invalid UTF-8 and lone surrogates": "%ff%fe%ed%a0%80",
    "100 kB": "x" * 100_000,
    "huge": "9" * 40,
    "markup": quote("'\";--<b>{{ x }}"),
    "dots": "%2e%2e",
}

#: Headers a browser does not send. gunicorn refuses a NUL character in a header (400) before Django
#: sees it; another server may pass it on.
HOSTILE_HEADERS = {
    "Accept-Language": "x" * 10_000 + ";q=\x00, nl;q=abc, *;q=-1",
    "User-Agent": "\x00" * 300,
    "Referer": "javascript:alert(1)",
    "X-Forwarded-For": "\x00, 999.999.1.1",
}
HOSTILE_COOKIES = {
    "sessionid": "abcdefgh\x00ij",
    "csrftoken": "\x00" * 32,
    "cookie_consent": "'\";--<script>",
    "django_language": "\x00",
    "messages": "x" * 4000,
}
HOSTILE_TOKENS = {
    "a token of NUL characters": "Bearer " + "\x00" * 43,
    "a token with NUL at its end": "Bearer " + "A" * 42 + "\x00",
    "a token of 100 kB": "Bearer " + "A" * 100_000,
    "a token not of letters and digits": "Bearer " + "'\";--<b>{{ x }}".ljust(43, "é"),
    "another scheme": "Basic " + "\x00" * 20,
    "an empty token": "Bearer ",
}


def _segments(route: str) -> list[int]:
    """The indexes of the path's segments that are values (``<int:pk>``, ``(?P<key>...)``)."""
    return [i for i, part in enumerate(route.replace("^", "").split("/")) if "<" in part]


def _with_segment(path: str, index: int, value: str, route: str) -> str:
    parts = path.strip("/").split("/")
    if route.replace("^", "").split("/")[index].count("(?P<") > 1:  # ``<uidb36>-<key>``: the last value
        parts[index] = parts[index].rsplit("-", 1)[0] + "-" + value
    else:
        parts[index] = value
    return "/" + "/".join(parts) + ("/" if path.endswith("/") else "")


def path_cases(path: str, route: str, method: str = "GET") -> Iterator[Case]:
    for index in _segments(route):
        for case, value in SEGMENT_VALUES.items():
            url = _with_segment(path, index, value, route)
            if method == "GET":
                yield f"GET path value {index}: {case}", _get(url)
            else:
                yield f"POST path value {index}: {case}", _sender(url)(b"")


def get_cases(world: World, route: str, role: str) -> Iterator[Case]:
    path = world.path(route)
    names = COMMON_PARAMETERS + PARAMETERS.get(route, ())
    full = reads_query(route, role) and route not in READS_NO_QUERY
    numbers = NUMBERS.intersection(name.rsplit("-", 1)[-1] for name in names)
    for case, value in QUERY_VALUES.items():
        if (full or case in REFUSED_QUERY_VALUES) and (numbers or case not in NUMBER_VALUES):
            yield f"GET ?{case}", _get(path + "?" + "&".join(f"{name}={value}" for name in names))
    if full:
        repeated = "&".join(f"{name}={value}" for name in names for value in REPEATED_VALUES)
        yield "GET repeated parameters", _get(f"{path}?{repeated}")
    yield from path_cases(path, route)
    if route in API_ENDPOINTS:
        for case, authorization in HOSTILE_TOKENS.items():
            yield f"GET with {case}", _get(path, HTTP_AUTHORIZATION=authorization)
    yield "GET with hostile headers", _get(path, headers=HOSTILE_HEADERS)
    if role != "anon":
        return
    # What Django refuses before the view, and cookies that make anyone a visitor: asked once per route.
    yield "GET 1500 parameters", _get(path + "?" + "&".join(f"page={i}" for i in range(1500)))
    if not route.startswith("api/"):  # the API's answer is Django's: the host is refused before the API
        yield "GET for another host", _get(path, headers={"Host": "evil.example:99999"})

    def cookies(client: Client) -> Any:  # the last case: the session is gone after it
        for name, value in HOSTILE_COOKIES.items():
            client.cookies[name] = value
        return client.get(path)

    yield "GET with hostile cookies", cookies


# --- POST: form bodies, multipart bodies, files -------------------------------------------------------------

#: The fields of each route's form (read from its form class, or allauth's); other routes get these few.
OTHER_FIELDS = ("next", "q", "email")
FIELDS: dict[str, tuple[str, ...]] = {
    "privacy/request": ("kind", "email", "details", "ip_addresses"),
    "cookies": ("choice", "purpose", "next"),
    "account/login/": ("login", "password", "remember", "next"),
    "account/signup/": ("email", "password1", "password2"),
    "account/reauthenticate/": ("password", "next"),
    "account/reauthenticate/code/": ("code",),
    "account/reauthenticate/code/confirm/": ("code",),
    "account/email/": ("email", "action_add", "action_send", "action_remove", "action_primary"),
    "account/password/change/": ("oldpassword", "password1", "password2"),
    "account/password/set/": ("password1", "password2"),
    "account/password/reset/": ("email",),
    "account/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": ("password1", "password2"),
    "account/login/code/confirm/": ("code",),
    "account/2fa/authenticate/": ("code",),
    "account/2fa/reauthenticate/": ("code",),
    "account/2fa/totp/activate/": ("code",),
    "portal/data/correct/": (
        *("first_name", "last_name", "email", "phone", "mobile", "fax"),
        *("street", "postal_code", "city", "country", "language", "job_title"),
    ),
    "portal/requests/new/<str:kind>/": ("details", "purposes", "send_to"),
    "portal/consents/": ("purpose", "action"),
    "console/requests/new/": (
        *("kind", "channel", "person", "email", "language", "details"),
        *("changes", "purposes", "ip_addresses", "send_to", "lookup-q"),
    ),
    "console/search/": ("q",),
    "console/weblogs/": ("ip", "path", "site", "start", "end", "reason", "format"),
    "console/instructions/new/": (
        "organisation",
        "given_by",
        "scope",
        "valid_from",
        "valid_until",
        "channel",
    ),
    "console/instructions/<int:pk>/": ("what",),
}
#: The decisions on a request (``console/requests/<reference>/<action>/``) and their forms' fields.
ACTION_ROUTE = "console/requests/<str:reference>/<slug:action>/"
ACTIONS: dict[str, tuple[str, ...]] = {
    "ask-identity": ("note",),
    "verify": ("method", "note"),
    "fulfil": (),
    "confirm-erasure": (),
    "extend": ("by", "reason"),
    "refuse": ("ground", "reasons"),
    "withdraw": ("note",),
    "decide-objection": ("objection", "decision", "reasons"),
    "announce-lift": ("restriction", "reason"),
    "lift": ("restriction",),
}
#: Routes that take a file, and its field.
UPLOADS = {"console/requests/new/": "original"}
LOG_IN = "account/login/"

#: Values given to every field of a form at once.
FIELD_VALUES: dict[str, str] = {
    "NUL and markup": "a\x00b" + MARKUP,
    "control characters, bidi and emoji": "\x01\x1b[31m\x7f\x85\u2028\u202e\ufeffé\U0001f600",
    "100 kB": "x" * 100_000,
    "negative": "-1",
    "huge number": "9" * 40,
    "not a number": "1e999",
    "wrong formats": "a@b@example.com 999.1.1.1 2026-02-30T25:61 ::ffff:1.2.3.4%eth0",
    "blank": "   ",
}
#: The values each decision's form is given (its fields are text, a choice and a hidden number).
ACTION_VALUES = ("NUL and markup", "100 kB", "not a number")
#: The bodies still sent where the POST does not reach the form (the visitor is sent elsewhere, refused, or
#: the page takes no POST: 405), or by a second visitor of the same form.
REFUSED_POSTS = (
    "POST an empty body",
    "POST a body over the limit",
    "POST multipart cut short",
    "POST every field NUL and markup",
)

BOUNDARY = "hostileBoundary42"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
GARBAGE = hashlib.sha256(b"garbage").digest() * 512  # 16 kB of bytes that are no file format

Body = bytes | str | Callable[[], bytes | str]


def _sender(path: str, method: str = "POST") -> Callable[..., Callable[[Client], Any]]:
    """``send(body, content_type, **headers)``: a case sending the body, made when it is sent (some are
    megabytes)."""

    def send(body: Body, content_type: str = FORM, **extra: Any) -> Callable[[Client], Any]:
        def call(client: Client) -> Any:
            data = body() if callable(body) else body
            encoded = data.encode("utf-8") if isinstance(data, str) else data
            return client.generic(method, path, encoded, content_type=content_type, **extra)

        return call

    return send


def _fields(names: tuple[str, ...], value: Any) -> dict[str, Any]:
    return dict.fromkeys(names, value)


def _part(name: str, content: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
    if filename is not None:
        head += "Content-Type: application/octet-stream\r\n"
    return head.encode("utf-8") + b"\r\n" + content + b"\r\n"


def _multipart(*parts: bytes, end: bool = True) -> bytes:
    return b"".join(parts) + (f"--{BOUNDARY}--\r\n".encode() if end else b"")


@functools.cache
def _over_the_limit() -> str:
    return urlencode({"field": "x" * 3 * 2**20})


def form_cases(
    path: str, names: tuple[str, ...], values: tuple[str, ...] = tuple(FIELD_VALUES), *, every: bool = True
) -> Iterator[Case]:
    """The form's fields given hostile values, and one alone; with ``every``, one of 1 MB, unknown and
    repeated ones too."""
    send = _sender(path)
    numbers = NUMBERS.intersection(name.rsplit("-", 1)[-1] for name in names)
    for case in values:
        if case in NUMBER_VALUES and not numbers:
            continue
        body = functools.partial(lambda value: urlencode(_fields(names, value)), FIELD_VALUES[case])
        yield f"POST every field {case}", send(body)
    yield "POST one field only", send(urlencode({names[-1] if names else "field": "x"}))
    if not every:
        return
    first = names[0] if names else "field"
    yield "POST a field of 1 MB", send(lambda: urlencode({first: "x" * 2**20}))
    unknown = {**_fields(names, "x"), "unknown": "x", "csrfmiddlewaretoken": "\x00", "__proto__": "{}"}
    yield "POST unknown fields", send(urlencode(unknown))
    yield "POST repeated fields", send(urlencode(_fields(names, ["a", "\x00", "<b>", ""]), doseq=True))


def body_cases(path: str, names: tuple[str, ...]) -> Iterator[Case]:
    """Bodies that are empty, too large, in another encoding or content type, or malformed multipart."""
    send = _sender(path)
    yield "POST an empty body", send(b"")
    yield "POST a body over the limit", send(_over_the_limit)
    yield "POST 1500 fields", send(lambda: "&".join(f"f{i}=x" for i in range(1500)))
    yield "POST percent-escapes of invalid UTF-8", send("&".join(f"{n}=%ff%fe%ed%a0%80" for n in names))
    yield "POST raw invalid UTF-8", send(b"&".join(n.encode() + b"=\xff\xfe\xed\xa0\x80" for n in names))
    yield "POST as UTF-16", send(urlencode(_fields(names, "x")), f"{FORM}; charset=utf-16")
    yield "POST in a codec that is no text encoding", send("a=b", f"{FORM}; charset=zlib_codec")
    yield "POST in an unknown character set", send("a=b", f"{FORM}; charset=no-such-set")
    yield "POST JSON to a form", send(json.dumps(_fields(names, 1)), JSON)
    yield "POST as text/plain", send(urlencode(_fields(names, "x")), "text/plain")
    yield "POST multipart without a boundary", send(b"--x\r\n\r\n", "multipart/form-data")
    yield "POST multipart with a NUL boundary", send(b"x", "multipart/form-data; boundary=\x00\x00")
    cut = _multipart(*(_part(name, MARKUP.encode()) for name in names), end=False)[:-7]
    yield "POST multipart cut short", send(cut, MULTIPART)
    yield "POST multipart without parts", send(f"--{BOUNDARY}--\r\n", MULTIPART)
    odd = [_part(name + "\x00", b"a\x00b") for name in names] + [_part("../..", b"\xff\xfe")]
    yield "POST multipart with NUL in names", send(_multipart(*odd), MULTIPART)
    files = [_part(name, b"x") for name in names] + [_part("file", GARBAGE, filename="x\x00.pdf")]
    yield "POST multipart with a file nobody asked for", send(_multipart(*files), MULTIPART)


def upload_cases(path: str, upload: str) -> Iterator[Case]:
    """The staff entry form, filled in, with a file that is no good; and cut off in the file."""
    send = _sender(path)
    entry = [_part("kind", b"access"), _part("channel", b"letter"), _part("email", b"anna@example.be")]
    for case, name, content in (
        ("a truncated file", "letter.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R"),
        ("a binary garbage file", "scan.png", GARBAGE),
        ("an empty file", "empty.pdf", b""),
        ("a file named with NUL and slashes", "../../etc/pass\x00wd.pdf", b"%PDF-1.4"),
        ("a file with a 300-character name", "x" * 300 + ".pdf", b"%PDF-1.4"),
    ):
        yield f"POST {case}", send(_multipart(*entry, _part(upload, content, filename=name)), MULTIPART)
    cut = _multipart(*entry, _part(upload, GARBAGE, filename="scan.pdf"), end=False)[:-100]
    yield "POST a file cut off mid-body", send(cut, MULTIPART)


def post_cases(world: World, route: str, role: str) -> Iterator[Case]:
    """The route's POSTs, the empty body first (a 405 to it leaves only :data:`REFUSED_POSTS`)."""
    path = world.path(route)
    names = () if route == ACTION_ROUTE else FIELDS.get(route, OTHER_FIELDS)
    bodies = list(body_cases(path, names))
    if not reads_form(route, role):
        yield from (case for case in (*bodies, *form_cases(path, names)) if case[0] in REFUSED_POSTS)
        return
    yield from (case for case in bodies if role == first_to_read(route) or case[0] in REFUSED_POSTS)
    yield from form_cases(path, names)
    if route == ACTION_ROUTE:
        for action, fields in ACTIONS.items():
            prefixed = tuple(f"{action}-{name}" for name in fields)
            action_path = path.replace("/fulfil/", f"/{action}/")
            for case, call in form_cases(action_path, prefixed, ACTION_VALUES, every=False):
                yield f"{action}: {case}", call
    yield from path_cases(path, route, "POST")
    if route in UPLOADS:
        yield from upload_cases(path, UPLOADS[route])
    if route == LOG_IN:  # the last case: the visitor is logged in after it
        valid = urlencode({"login": "olga@example.com", "password": PASSWORD})
        yield "POST a valid log-in with hostile headers", _sender(path)(valid, headers=HOSTILE_HEADERS)


# --- the API's bodies ----------------------------------------------------------------------------------------

#: The API's routes that write: the method, and a valid body (the API's tests') for a record not stored yet.
API_WRITES: dict[str, tuple[str, dict[str, Any]]] = {
    "api/organisations/<external_ref>": ("PUT", ORGANISATION),
    "api/people/<external_ref>": (
        "PUT",
        {**PERSON, "roles": [{"organisation_ref": "ORG-1", "kind": "owner"}]},
    ),
    "api/services/<external_ref>": (
        "PUT",
        {**SERVICE, "identifiers": [{"kind": "domain", "value": "x.example"}]},
    ),
    "api/invoices/<external_ref>": ("PUT", INVOICE),
    "api/requests": (
        "POST",
        {"kind": "access", "email": "anna@example.be", "details": "all of it", "ip_addresses": ["192.0.2.1"]},
    ),
}
#: JSON values given to every field of a valid body at once, and to every value in it, nested ones too.
JSON_VALUES: dict[str, Any] = {
    "NUL": "a\x00b",
    "control characters": "\x01\x1b[31m\x7f\u2028",
    "100 kB": "x" * 100_000,
    "markup": MARKUP,
    "number": 5,
    "huge number": 10**40,
    "float": -1.5,
    "boolean": True,
    "null": None,
    "list": ["a\x00", {"b": None}],
    "object": {"a": ["\x00"], "b": 10**40},
}
#: The values given to each field of a valid body alone.
JSON_ONE_FIELD = ("NUL", "100 kB", "markup", "list")
#: Bodies that are not JSON, or JSON of the wrong shape.
RAW_JSON: dict[str, bytes] = {
    "empty": b"",
    "truncated": b'{"name": "Bakker',
    "single quotes": b"{'name': 'x'}",
    "invalid UTF-8": b'{"name": "\xff\xfe", "email": "\xed\xa0\x80@example.com"}',
    "lone surrogates": b'{"name": "\\ud800", "email": "\\udfff@example.com", "details": "\\ud83d"}',
    "escaped NUL": b'{"name": "a\\u0000b", "email": "a\\u0000@example.com", "kind": "access\\u0000"}',
    "deep nesting": b"[" * 100_000,
    "deep objects": b'{"a":' * 50_000,
    "infinite number": b'{"total": 1e999, "name": NaN}',
    "array": b"[1, 2, 3]",
    "string": b'"name"',
    "number": b"42",
    "null": b"null",
    "duplicate keys": b'{"name": "a", "name": {"b": 1}}',
    "byte order mark": b'\xef\xbb\xbf{"name": "x"}',
    "over 1 MB": b'{"name": "' + b"x" * (2**20 + 1) + b'"}',
}


def _everywhere(body: Any, value: Any) -> Any:
    """The body with every value, nested ones too, replaced by ``value``."""
    if isinstance(body, dict):
        return {key: _everywhere(item, value) for key, item in body.items()}
    if isinstance(body, list):
        return [_everywhere(item, value) for item in body]
    return value


def api_cases(world: World, route: str) -> Iterator[Case]:
    path = world.path(route)
    if route not in API_WRITES:  # nothing is written here: a few bodies
        for case in ("empty", "truncated", "over 1 MB"):
            yield f"POST {case}", _sender(path)(RAW_JSON[case], JSON)
        return
    method, valid = API_WRITES[route]
    send = _sender(path, method)

    def json_body(body: Any) -> Callable[[Client], Any]:
        return send(json.dumps(body, ensure_ascii=False), JSON)

    for case, raw in RAW_JSON.items():
        yield f"{method} {case}", send(raw, JSON)
    yield f"{method} no fields", json_body({})
    yield f"{method} unknown fields", json_body({**valid, "unknown": 1, "__proto__": {"admin": True}})
    for case, value in JSON_VALUES.items():
        yield f"{method} every field {case}", json_body(dict.fromkeys(valid, value))
        yield f"{method} every value, nested too, {case}", json_body(_everywhere(valid, value))
    for name in valid:
        for case in JSON_ONE_FIELD:
            yield f"{method} {name}: {case}", json_body({**valid, name: JSON_VALUES[case]})
    body = json.dumps(valid)
    yield f"{method} as text/plain", send(body, "text/plain")
    yield f"{method} as a form", send(urlencode({"name": "x"}), FORM)
    yield f"{method} as UTF-16", send(body.encode("utf-16"), f"{JSON}; charset=utf-16")
    yield f"{method} in a codec that is no text encoding", send(body, f"{JSON}; charset=zlib_codec")
    yield f"{method} as multipart without a boundary", send(b"--x\r\n", "multipart/form-data")
    for case, authorization in HOSTILE_TOKENS.items():
        yield f"{method} with {case}", send(body, JSON, HTTP_AUTHORIZATION=authorization)


# --- the admin -------------------------------------------------------------------------------------------------


def admin_pages() -> dict[str, list[tuple[str, ...]]]:
    """Each model's list in the admin, with the groups of parameters it reads apart (an invalid page or
    order sends the list back to itself with ``?e=1`` before it searches or filters): the search, the
    order, the page, its filters. The lists are asked of one model of each app; every model's record
    pages (change, history, delete) are asked with ids that are none."""
    from django.contrib import admin

    pages: dict[str, list[tuple[str, ...]]] = {}
    apps: set[str] = set()
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        pages[url] = []
        if model._meta.app_label in apps:
            continue
        apps.add(model._meta.app_label)
        filters = [name for name in model_admin.list_filter if isinstance(name, str)]
        pages[url] = [("q", "_changelist_filters"), ("o",), ("p", "all"), ("e",)]
        if filters:
            pages[url].append((*filters, *(f"{name}__exact" for name in filters)))
    return pages


ADMIN_PAGES = admin_pages()
#: The values of a record's id in the admin's address.
ADMIN_IDS = ("NUL", "markup", "huge")


def admin_cases(url: str) -> Iterator[Case]:
    for names in ADMIN_PAGES[url]:
        values = ["NUL and markup", "not a number"] if names[0] in ("o", "p") else ["NUL and markup"]
        for case in values:
            query = "&".join(f"{name}={QUERY_VALUES[case]}" for name in names)
            yield f"GET ?{names[0]}: {case}", _get(f"{url}?{query}")
    for case in ADMIN_IDS:
        for page in ("change", "history", "delete"):
            yield f"GET {page} of {case}", _get(f"{url}{SEGMENT_VALUES[case]}/{page}/")


# --- judging the answers -------------------------------------------------------------------------------------

#: Values sent in query strings and bodies that no log line may hold. Values in a path are logged by
#: Django ("Not Found: <path>"): case numbers, ids and link tokens, which name nobody.
NEVER_LOGGED = ("<script>alert(1)</script>", "a\x00b", "1\x00'", "a@b@example.com", "anna@example.be")


@dataclass
class Sweep:
    """Sends one case after another and collects, per case, what was wrong with the answer."""

    client: Client
    api: bool = False
    wrong: list[str] = field(default_factory=list)

    def run(self, cases: Iterator[Case], before: Callable[[], None] | None = None) -> None:
        not_allowed = False
        for number, (case, call) in enumerate(cases):
            if not_allowed and case not in REFUSED_POSTS:
                continue
            if before is not None:
                before()
            status = self.send(case, call)
            not_allowed = not_allowed or (number == 0 and case.startswith("POST") and status == 405)

    def send(self, case: str, call: Callable[[Client], Any]) -> int | None:
        try:
            with transaction.atomic():  # on PostgreSQL a failed query spoils the transaction: back to here
                response = call(self.client)
        except Exception as exc:
            self.wrong.append(f"{case}: {type(exc).__module__}.{type(exc).__qualname__}: {str(exc)[:160]}")
            return None
        problem = self.judge(response)
        if problem:
            self.wrong.append(f"{case}: {problem}")
        return int(response.status_code)

    def judge(self, response: Any) -> str:
        status = response.status_code
        if status >= 500:
            return f"answered {status}"
        if status < 400:
            return self.judge_form(response)
        if status == 405:
            return "" if response.has_header("Allow") else "405 without the methods allowed"
        content = b"".join(response.streaming_content) if response.streaming else response.content
        if self.api:
            try:
                errors = json.loads(content)["errors"]
            except (ValueError, KeyError, TypeError):
                return f"answered {status} without {{'errors': ...}}: {content[:100]!r}"
            if not (isinstance(errors, dict) and errors and all(errors.values())):
                return f"answered {status} without naming an error: {content[:100]!r}"
            return ""
        return "" if content.strip() else f"answered {status} with an empty page"

    @staticmethod
    def judge_form(response: Any) -> str:
        """A form that answers a POST shows what was sent and what is wrong with it, not the empty form."""
        if response.request["REQUEST_METHOD"] != "POST" or response.context is None:
            return ""
        form = response.context.get("form")
        if form is not None and hasattr(form, "is_bound") and not form.is_bound:
            return f"answered {response.status_code} with the empty form, no error named"
        return ""


def logged_values(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{record.name}: {record.getMessage()[:120]!r}"
        for record in caplog.records
        if any(value in record.getMessage() for value in NEVER_LOGGED)
    ]


# --- what is stored -------------------------------------------------------------------------------------------

#: Fields a visit changes (a log-in, a token's use): left out of the comparison.
VISIT_FIELDS = {"last_login", "last_used_at", "last_seen_at"}


def stored_models() -> list[type[Model]]:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import get_user_model

    from trustdesk.accounts.models import ContentAccessInstruction, Profile
    from trustdesk.api.models import ApiToken
    from trustdesk.consent.models import ConsentEvent, CookieChoice
    from trustdesk.journal.models import JournalEntry
    from trustdesk.policy.models import PolicyVersion
    from trustdesk.registry.models import Invoice, Organisation, Person, Role, Service, ServiceIdentifier
    from trustdesk.rights.models import Download, Request, Verification

    return [
        *(Person, Organisation, Role, Service, ServiceIdentifier, Invoice),
        *(Request, Download, Verification, ConsentEvent, CookieChoice, ContentAccessInstruction),
        *(PolicyVersion, get_user_model(), Profile, EmailAddress, Authenticator, ApiToken, JournalEntry),
    ]


def stored() -> dict[str, dict[Any, str]]:
    """Per model, each row's primary key and a digest of its values."""
    rows: dict[str, dict[Any, str]] = {}
    for model in stored_models():
        kept = [f.attname for f in model._meta.concrete_fields if f.attname not in VISIT_FIELDS]
        rows[model._meta.label] = {
            values[0]: hashlib.sha256(repr(values).encode()).hexdigest()
            for values in model._default_manager.order_by("pk").values_list("pk", *kept)
        }
    return rows


def lost(before: dict[str, dict[Any, str]]) -> list[str]:
    """What of ``before`` is gone or changed, and whether the journal still verifies."""
    from trustdesk.journal.verify import verify

    after = stored()
    problems = []
    for label, rows in before.items():
        gone = [pk for pk in rows if pk not in after[label]]
        changed = [pk for pk in rows if pk in after[label] and after[label][pk] != rows[pk]]
        if gone:
            problems.append(f"{label}: rows {gone} are gone")
        if changed:
            problems.append(f"{label}: rows {changed} changed")
    result = verify()
    if not result.ok:
        problems.append(f"the journal does not verify: {result.problem}")
    return problems


def checked(
    sweep: Sweep, caplog: pytest.LogCaptureFixture, before: dict[str, dict[Any, str]] | None = None
) -> None:
    assert not sweep.wrong, "\n".join(sweep.wrong)
    assert not logged_values(caplog), "\n".join(logged_values(caplog))
    if before is not None:
        problems = lost(before)
        assert not problems, "\n".join(problems)


# --- the tests -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", WEB_ROUTES)
@pytest.mark.parametrize("role", ROLES)
def test_pages_refuse_hostile_queries_paths_and_headers(
    world: World, role: str, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    sweep = Sweep(client_for(world, role))
    sweep.run(get_cases(world, route, role))
    checked(sweep, caplog)


@pytest.mark.parametrize("route", WEB_ROUTES)
@pytest.mark.parametrize("role", ROLES)
def test_pages_refuse_hostile_bodies_and_keep_what_is_stored(
    world: World, role: str, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Where the POSTs reach no form, nothing is stored: compared where they do.
    before = stored() if reads_form(route, role) else None
    client = client_for(world, role)
    user = user_of_persona(world.personas, role)

    def logged_in() -> None:  # a case may log the visitor off (log-off, log off everywhere): log in again
        cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
        if user is not None and (cookie is None or not cookie.value):
            client.force_login(user)

    sweep = Sweep(client)
    sweep.run(post_cases(world, route, role), before=logged_in)
    checked(sweep, caplog, before)


@pytest.mark.parametrize(("role", "route"), API_CASES)
def test_the_api_refuses_hostile_queries_paths_and_tokens(
    world: World, role: str, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    sweep = Sweep(client_for(world, role), api=route in API_ENDPOINTS)
    sweep.run(get_cases(world, route, "anon"))  # the matrix's answers to the API are the same for everyone
    checked(sweep, caplog)


@pytest.mark.parametrize(("role", "route"), API_CASES)
def test_the_api_refuses_hostile_bodies_and_keeps_what_is_stored(
    world: World, role: str, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = stored()
    sweep = Sweep(client_for(world, role), api=route in API_ENDPOINTS)
    sweep.run(api_cases(world, route))
    checked(sweep, caplog, before)


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_the_admin_refuses_hostile_searches_filters_and_ids(
    world: World, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for(world, "admin")
    client.force_login(world.personas.ada)
    sweep = Sweep(client)
    sweep.run(admin_cases(url))
    checked(sweep, caplog)


def test_its_routes_and_forms_are_the_projects() -> None:
    assert set(PARAMETERS) | set(FIELDS) | set(API_WRITES) | {ACTION_ROUTE, LOG_IN} <= set(MATRIX)
    assert set(UPLOADS) <= set(FIELDS)
    assert any(groups for groups in ADMIN_PAGES.values())


# --- the answers the sweep's findings have now ------------------------------------------------------------------


def test_the_api_names_a_field_with_a_nul_character_and_stores_nothing(world: World) -> None:
    from trustdesk.registry.models import Organisation

    api = client_for(world, "token")
    count = Organisation.objects.count()
    response = api.put("/api/organisations/ORG-9", json.dumps({**ORGANISATION, "city": "Gent\x00"}), JSON)
    assert (response.status_code, response.json()) == (
        422,
        {"errors": {"city": "may not contain a NUL character"}},
    )
    response = api.get("/api/organisations/ORG%00")
    assert (response.status_code, response.json()) == (
        422,
        {"errors": {"external_ref": "may not contain a NUL character"}},
    )
    assert Organisation.objects.count() == count


def test_a_token_or_a_case_number_not_of_its_shape_is_not_looked_up(world: World) -> None:
    api = client_for(world, "anon")
    response = api.get("/api/requests/R-2026-AAAAAA", HTTP_AUTHORIZATION="Bearer " + "A" * 42 + "\x00")
    assert response.status_code == 401
    assert response.json()["errors"]["authorization"].startswith("send a valid token")
    response = client_for(world, "token").get("/api/requests/R-2026-%00")
    assert (response.status_code, response.json()) == (
        404,
        {"errors": {"reference": "no request has this reference"}},
    )
    assert client_for(world, "owner").get("/portal/requests/R-2026-%00/").status_code == 404
    assert client_for(world, "privacy").get("/console/requests/R-2026-%00/").status_code == 404


def test_the_admin_refuses_an_address_with_a_nul_character_and_says_why(world: World) -> None:
    client = client_for(world, "admin")
    client.force_login(world.personas.ada)
    response = client.get("/admin/registry/person/?kind=%00")
    assert response.status_code == 400
    assert response.content.decode() == (
        "The address contains a NUL character, which no search, filter or record of the admin can hold."
    )
    dutch = client.get("/admin/retention/joblock/%00/change/", headers={"Accept-Language": "nl"})
    assert dutch.status_code == 400
    assert dutch.content.decode().startswith("Het adres bevat een NUL-teken")


def test_the_admin_has_a_history_page_for_every_model_and_no_record_for_an_id_of_none(world: World) -> None:
    client = client_for(world, "admin")
    client.force_login(world.personas.ada)
    assert client.get(f"/admin/registry/person/{world.ids['person']}/history/").status_code == 200
    assert client.get("/admin/registry/person/abc/history/").status_code == 404
    assert client.get("/admin/registry/usagerecord/1/history/").status_code in (200, 302)
    assert client.get("/admin/registry/invoiceline/1/history/").status_code in (200, 302)


def test_a_browser_name_with_a_nul_character_is_stored_without_it(world: World) -> None:
    from allauth.usersessions.models import UserSession

    from trustdesk.journal.models import JournalEntry

    client = client_for(world, "anon")
    response = client.post(
        "/account/login/",
        {"login": "olga@example.com", "password": PASSWORD},
        headers={"User-Agent": "Mozilla\x00/5.0"},
    )
    assert response.status_code == 302
    entry = JournalEntry.objects.filter(action="accounts.logged_in").order_by("-seq").first()
    assert entry is not None and (entry.payload or {}).get("user_agent") == "Mozilla/5.0"
    assert UserSession.objects.filter(user=world.personas.olga, user_agent="Mozilla/5.0").exists()


def test_an_empty_post_to_a_form_names_the_fields_it_needs(world: World) -> None:
    response = client_for(world, "anon").post("/privacy/request", b"", FORM)
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"kind", "email"}
    pia = client_for(world, "privacy")
    response = pia.post("/console/instructions/new/", b"", FORM)
    assert response.status_code == 400
    assert "organisation" in response.context["form"].errors
