"""The public form: the same answer for every address, a link to the address on record, a POST to confirm."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.smtp import refusing
from trustdesk.rights.models import Request, Status

pytestmark = pytest.mark.django_db


def _link(text: str) -> str:
    found = re.search(r"https://privacy\.hostwerk\.example(/privacy/request/confirm/\S+)", text)
    assert found, text
    return found.group(1)


def _ask(client: Client, email: str, kind: str = "access") -> str:
    response = client.post("/privacy/request", {"kind": kind, "email": email, "details": ""})
    assert response.status_code == 200
    return re.sub(r"R-\d{4}-[A-Z0-9]{6}", "R-…", response.content.decode())


def test_it_answers_the_same_whether_or_not_the_person_is_on_record(people, smtp, commit) -> None:
    client = Client()
    with commit():
        known = _ask(client, "anna@example.be")
        unknown = _ask(client, "stranger@example.org")
    assert known == unknown
    assert len(smtp.to("anna@example.be")) == 1 and len(smtp.to("stranger@example.org")) == 1
    assert Request.objects.get(email="anna@example.be").person == people.anna
    assert Request.objects.get(email="stranger@example.org").person is None


def test_it_confirms_only_by_post_and_only_once(people, smtp, commit) -> None:
    client = Client()
    with commit():
        _ask(client, "anna@example.be", "erasure")
    request = Request.objects.get()
    assert request.status == Status.AWAITING_IDENTITY
    path = _link(smtp.text(smtp.to("anna@example.be")[0]))
    assert client.get(path).status_code == 200  # a mail scanner opening the link confirms nothing
    request.refresh_from_db()
    assert request.status == Status.AWAITING_IDENTITY
    with commit():
        response = client.post(path)
    assert response.status_code == 200
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS and request.identity_method == "email_link"
    assert request.pauses.get().ended_on is not None
    again = client.post(path)
    assert again.status_code == 410 and "has been used already" in again.content.decode()
    assert client.post("/privacy/request/confirm/forged-token").status_code == 410


def test_it_names_the_field_of_bad_input_and_stores_nothing(people) -> None:
    client = Client()
    response = client.post(
        "/privacy/request",
        {
            "kind": "access",
            "email": "nope",
            "details": "4111-1111-1111-1111",
            "ip_addresses": "192.0.2.1 banana",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    for name in ("email", "details", "ip_addresses"):  # each error is there and its field refers to it
        assert f'id="id_{name}_error"' in page
        assert re.search(rf'<[^>]+aria-describedby="[^"]*\bid_{name}_error\b[^"]*"[^>]*id="id_{name}"', page)
    assert "Address 2 is not an IP address." in page
    assert "4111" not in page.split("<textarea")[0]
    assert Request.objects.count() == 0


def test_it_keeps_the_addresses_given_for_web_server_logs(people, smtp, commit) -> None:
    with commit():
        Client().post(
            "/privacy/request",
            {"kind": "access", "email": "anna@example.be", "ip_addresses": "::ffff:192.0.2.10, 2001:db8::1"},
        )
    assert Request.objects.get().specifics == {"ip_addresses": ["192.0.2.10", "2001:db8::1"]}


def test_it_throttles_per_address_without_storing_the_address(people, smtp, commit) -> None:
    from trustdesk.accounts.models import ThrottleHit

    client = Client()
    with commit():
        for _ in range(3):
            _ask(client, "anna@example.be")
    response = client.post("/privacy/request", {"kind": "access", "email": "anna@example.be"})
    assert response.status_code == 429
    assert Request.objects.count() == 3 and len(smtp.to("anna@example.be")) == 3
    assert "anna@example.be" not in repr(list(ThrottleHit.objects.values()))
    assert "127.0.0.1" not in repr(list(ThrottleHit.objects.values()))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("en", ("The e-mail could not be sent", "has been saved", "The case number is")),
        ("nl", ("De e-mail kon niet worden verstuurd", "is opgeslagen", "Het dossiernummer is")),
    ],
)
def test_it_says_the_request_is_stored_when_its_e_mail_cannot_be_sent(
    people, refusing, language: str, title: tuple[str, str, str]
) -> None:
    response = Client().post(
        "/privacy/request",
        {"kind": "access", "email": "anna@example.be", "details": ""},
        headers={"Accept-Language": language},
    )
    page = response.content.decode()
    assert response.status_code == 503
    heading, saved, number = title
    made = Request.objects.get(email="anna@example.be")
    assert f"<h1>{heading}</h1>" in page and saved in page
    assert f"{number} {made.reference}." in page  # so that the person can quote it, not ask again
    assert "anna" not in page
    assert made.status == Status.AWAITING_IDENTITY and made.mail_failed_at is not None


__all__ = ["refusing"]
