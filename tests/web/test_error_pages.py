"""The pages of a request Django does not accept (400) and of an error on our side (500): in the visitor's
language, naming what was wrong without repeating what was sent."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from tests.lib.test_logfilters import logged
from trustdesk.urls import handler400, handler500
from trustdesk.urls import urlpatterns as trustdesk_urlpatterns

pytestmark = pytest.mark.django_db

SECRET = "anna@example.be"


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"a bug that names {SECRET}")


#: This module is the URLconf of the 500 test: Trustdesk's pages and one that fails.
urlpatterns = [path("boom/", _boom), *trustdesk_urlpatterns]
__all__ = ["handler400", "handler500", "urlpatterns"]


@pytest.mark.parametrize(
    ("language", "title", "reason"),
    [
        ("en", "Request not accepted", "This site does not answer to the host name in the address you used."),
        (
            "nl",
            "Verzoek niet aangenomen",
            "Deze site antwoordt niet op de hostnaam in het adres dat u gebruikte.",
        ),
    ],
)
def test_an_unknown_host_name_gets_a_page_that_says_so(
    client: Client, language: str, title: str, reason: str
) -> None:
    response = client.get("/privacy", headers={"Host": "evil.example", "Accept-Language": language})
    page = response.content.decode()
    assert response.status_code == 400
    assert f"<h1>{title}</h1>" in page and reason in page
    assert "evil.example" not in page
    assert f'<html lang="{language}">' in page


def test_an_address_too_long_to_come_back_to_after_the_log_in_gets_a_page_that_says_so(
    client: Client, publish
) -> None:
    publish()
    response = client.get("/portal/?q=" + "x" * 17_000)
    assert response.status_code == 400
    assert "The address you used is too long to be sent on to another page." in response.content.decode()


def test_a_form_too_large_gets_a_page_that_says_so_and_stores_nothing(
    client: Client, publish, settings
) -> None:
    from trustdesk.rights.models import Request

    publish()
    body = b"kind=access&email=anna%40example.be&details=" + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post("/privacy/request", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "What was sent is larger than this site accepts." in response.content.decode()
    assert "anna" not in response.content.decode()
    assert not Request.objects.exists()


def test_a_form_with_too_many_fields_gets_a_page_that_says_so(client: Client, publish, settings) -> None:
    publish()
    fields = "&".join(f"f{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client.post("/privacy/request", fields, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "more fields or files than this site accepts" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "Something went wrong"), ("nl", "Er ging iets mis")],
)
def test_an_error_on_our_side_gets_a_page_in_the_visitors_language_without_the_errors_text(
    settings, caplog: pytest.LogCaptureFixture, language: str, said: str
) -> None:
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", headers={"Accept-Language": language})
    page = response.content.decode()
    assert response.status_code == 500
    assert f"<h1>{said}</h1>" in page
    assert SECRET not in page and "RuntimeError" not in page
    assert any(record.levelname == "ERROR" and record.name == "django.request" for record in caplog.records)


def test_the_error_page_links_home_under_the_prefix_the_site_is_served_at(settings) -> None:
    """Served at /desk (the WSGI server's ``SCRIPT_NAME``), the page links to /desk/, not to another site's
    root. Django's test client sets no prefix, so the page is asked of Django's WSGI handler itself."""
    from wsgiref.util import setup_testing_defaults

    from django.core.handlers.wsgi import WSGIHandler
    from django.urls import set_script_prefix

    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["127.0.0.1"]

    def page(script_name: str) -> tuple[str, str]:
        environ = {"PATH_INFO": "/boom/", "SCRIPT_NAME": script_name}
        setup_testing_defaults(environ)
        started: list[str] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> Any:
            started.append(status)
            return lambda data: None  # the write() callable of PEP 3333, which Django does not use

        try:
            body = b"".join(WSGIHandler()(environ, start_response))
        finally:
            set_script_prefix("/")  # the handler sets it for its thread: the other tests' is "/"
        return started[0], body.decode()

    status, at_root = page("")
    assert status.startswith("500") and '<a href="/">' in at_root
    status, under_desk = page("/desk")
    assert (
        status.startswith("500")
        and '<a href="/desk/">' in under_desk
        and "Something went wrong" in under_desk
    )


def test_a_refused_host_name_is_logged_as_a_warning_without_a_traceback(
    client: Client, logged: io.StringIO
) -> None:
    assert client.get("/privacy", headers={"Host": "scanner.example"}).status_code == 400
    text = logged.getvalue()
    assert "WARNING django.security.DisallowedHost Invalid HTTP_HOST header: 'scanner.example'" in text
    assert "ERROR" not in text and "Traceback" not in text


def test_an_error_on_our_side_keeps_its_level_and_traceback() -> None:
    import logging

    from trustdesk.lib.logfilters import ClientFaults

    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        record = logging.getLogger("django.request").makeRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal Server Error: /boom/", (), sys.exc_info()
        )
    assert ClientFaults().filter(record)
    assert record.levelname == "ERROR" and record.exc_info is not None


__all__ = ["logged"]
