"""Staff entry of a request received by letter, phone, e-mail or in person, with the original attached."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.console.conftest import Desk
from trustdesk.console.forms import ORIGINAL_MAX_BYTES
from trustdesk.rights.models import Request

pytestmark = pytest.mark.django_db


def test_it_finds_the_person_and_records_a_letter_with_its_original(desk: Desk, commit) -> None:
    sam = desk.client("sam")
    found = sam.post("/console/requests/new/", {"lookup-q": "Jansen"})
    assert found.status_code == 200
    assert desk.people.bob in found.context["found"]
    assert f'href="/console/requests/new/?person={desk.people.bob.pk}"' in found.content.decode()
    chosen = sam.get(f"/console/requests/new/?person={desk.people.bob.pk}")
    assert "bob@jansen.example" in chosen.content.decode()
    letter = SimpleUploadedFile("letter.pdf", b"%PDF-1.4 a scanned letter", content_type="application/pdf")
    with commit():
        answer = sam.post(
            f"/console/requests/new/?person={desk.people.bob.pk}",
            {
                "kind": "access",
                "channel": "letter",
                "person": desk.people.bob.pk,
                "details": "Please send me my data.",
                "original": letter,
            },
        )
    assert answer.status_code == 302
    made = Request.objects.get()
    assert answer["Location"] == f"/console/requests/{made.reference}/"
    assert made.channel == "letter" and made.person == desk.people.bob and made.email == "bob@jansen.example"
    assert made.created_by == f"user:{desk.staff.sam.pk}"
    assert made.original.read() == b"%PDF-1.4 a scanned letter"
    opened = sam.get(f"/console/requests/{made.reference}/original/")
    assert opened.status_code == 200 and opened.content == b"%PDF-1.4 a scanned letter"
    assert made.events.filter(action="original_viewed").count() == 1


def test_it_records_a_phone_call_by_address_and_rectification_changes(desk: Desk) -> None:
    answer = desk.client("pia").post(
        "/console/requests/new/",
        {"kind": "rectification", "channel": "phone", "email": "anna@example.be", "changes": "city=Brugge\n"},
    )
    assert answer.status_code == 302
    made = Request.objects.get()
    assert made.person == desk.people.anna  # the one person with this address
    assert made.specifics == {"changes": {"city": "Brugge"}}


def test_it_shows_bad_input_as_errors_and_keeps_what_was_typed(desk: Desk) -> None:
    sam = desk.client("sam")
    nobody = sam.post(
        "/console/requests/new/", {"kind": "access", "channel": "letter", "details": "Kept text."}
    )
    assert nobody.status_code == 400
    html = nobody.content.decode()
    assert "give the address the answer goes to" in html and "Kept text." in html
    card = sam.post(
        "/console/requests/new/",
        {"kind": "access", "channel": "email", "email": "x@example.org", "details": "4111 1111 1111 1111"},
    )
    assert card.status_code == 400 and "card number" in card.content.decode().lower()
    portal = sam.post(
        "/console/requests/new/", {"kind": "access", "channel": "portal", "email": "x@example.org"}
    )
    assert portal.status_code == 400 and "Select a valid choice" in portal.content.decode()
    lines = sam.post(
        "/console/requests/new/",
        {"kind": "rectification", "channel": "email", "email": "x@example.org", "changes": "no equals sign"},
    )
    assert lines.status_code == 400 and "Line 1: write field=value." in lines.content.decode()
    ip = sam.post(
        "/console/requests/new/",
        {"kind": "access", "channel": "email", "email": "x@example.org", "ip_addresses": "192.0.2.1 nope"},
    )
    assert ip.status_code == 400 and "Address 2 is not an IP address." in ip.content.decode()
    big = SimpleUploadedFile("scan.pdf", b"x" * (ORIGINAL_MAX_BYTES + 1))
    large = sam.post(
        "/console/requests/new/",
        {"kind": "access", "channel": "letter", "email": "x@example.org", "original": big},
    )
    assert large.status_code == 400 and "The file is larger than 20 MB." in large.content.decode()
    assert not Request.objects.exists()
    assert sam.get("/console/requests/new/?person=999999").status_code == 404


def test_it_keeps_entry_from_the_abuse_desk_and_customers(desk: Desk) -> None:
    assert desk.client("abe").get("/console/requests/new/").status_code == 403
    client = desk.client(None)
    client.force_login(desk.staff.olga)
    assert client.post("/console/requests/new/", {"kind": "access", "channel": "letter"}).status_code == 403
    assert not Request.objects.exists()


def test_it_looks_the_person_up_by_post_and_keeps_the_entry_form_as_it_was(desk: Desk) -> None:
    sam = desk.client("sam")
    page = sam.get("/console/requests/new/")
    html = page.content.decode()
    assert '<form method="post" action="/console/requests/new/" role="search"' in html
    assert 'name="lookup-q"' in html and 'name="csrfmiddlewaretoken"' in html
    found = sam.post("/console/requests/new/", {"lookup-q": "bob@jansen"})
    assert found.status_code == 200 and found.context["found"] == [desk.people.bob]
    html = found.content.decode()
    assert 'value="bob@jansen"' in html  # the look-up keeps what was typed
    assert not found.context["form"].is_bound  # a look-up is not an entry: no errors, nothing recorded
    assert "field-errors" not in html
    nobody = sam.post("/console/requests/new/", {"lookup-q": "Nemo Nobody"})
    assert nobody.status_code == 200 and nobody.context["found"] == []
    assert "Nobody on record matches" in nobody.content.decode()
    short = sam.post("/console/requests/new/", {"lookup-q": "b"})
    assert short.status_code == 400 and short.context["found"] == []
    assert "Ensure this value has at least 2 characters" in short.content.decode()
    assert not Request.objects.exists()


def test_it_ignores_a_query_string_and_echoes_nothing_of_it(desk: Desk) -> None:
    page = desk.client("sam").get("/console/requests/new/", {"q": "Jansen", "lookup-q": "Jansen"})
    assert page.status_code == 200
    assert page.context["found"] == [] and page.context["searched"] is False
    html = page.content.decode()
    assert "Jansen" not in html and "bob@jansen.example" not in html


def test_it_refuses_a_look_up_without_the_csrf_token(desk: Desk) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk.staff.sam)
    assert client.post("/console/requests/new/", {"lookup-q": "Jansen"}).status_code == 403


def test_no_name_or_address_stands_in_a_url_of_the_flow(desk: Desk, commit) -> None:
    bob = desk.people.bob
    personal = (bob.first_name, bob.last_name, bob.email, "jansen", "%40")
    sam = desk.client("sam")
    urls: list[str] = []
    found = sam.post("/console/requests/new/", {"lookup-q": bob.last_name})
    urls.append(found.request["PATH_INFO"] + "?" + found.request.get("QUERY_STRING", ""))
    html = found.content.decode()
    urls += re.findall(r'(?:href|action)="([^"]*)"', html)
    chosen_url = f"/console/requests/new/?person={bob.pk}"
    assert chosen_url in urls
    chosen = sam.get(chosen_url)
    urls += re.findall(r'(?:href|action)="([^"]*)"', chosen.content.decode())
    with commit():
        made = sam.post(chosen_url, {"kind": "access", "channel": "phone", "person": bob.pk})
    assert made.status_code == 302
    urls.append(made["Location"])
    urls += re.findall(r'(?:href|action)="([^"]*)"', sam.get(made["Location"]).content.decode())
    leaked = [url for url in urls if any(value.lower() in url.lower() for value in personal)]
    assert leaked == []
