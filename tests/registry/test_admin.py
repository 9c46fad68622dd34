"""The Django admin as the staff view: registry and journal read-only, history visible, search."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client

from trustdesk.journal.models import JournalEntry
from trustdesk.registry import models as registry
from trustdesk.registry.models import Person, ServiceIdentifier
from trustdesk.registry.services import Actor, do_create, do_update

pytestmark = pytest.mark.django_db

STAFF = Actor.operator("tester")


@pytest.fixture
def staff_client(client: Client) -> Client:
    user = User.objects.create_superuser("officer", "officer@provider.example", "a long password 123")
    client.force_login(user)
    return client


@pytest.fixture
def anna() -> Person:
    person = do_create(
        Person, {"first_name": "Anna", "last_name": "Peeters", "email": "anna@example.be"}, actor=STAFF
    )
    return do_update(person, {"email": "anna.peeters@example.be"}, actor=STAFF, reason="customer asked")


def test_it_registers_every_registry_model_read_only(rf) -> None:
    request = rf.get("/admin/")
    for model in (
        registry.Person,
        registry.Organisation,
        registry.Role,
        registry.Service,
        registry.ServiceIdentifier,
        registry.Invoice,
        registry.InvoiceLine,
        registry.UsageRecord,
        registry.Interaction,
        registry.Disclosure,
        JournalEntry,
    ):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)


def test_it_lists_and_searches_people_by_e_mail(staff_client: Client, anna: Person) -> None:
    do_create(Person, {"first_name": "Bob", "email": "bob@jansen.example"}, actor=STAFF)
    page = staff_client.get("/admin/registry/person/", {"q": "anna.peeters@"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "anna.peeters@example.be" in body and "bob@jansen.example" not in body


def test_it_searches_identifiers_by_domain_and_ip(staff_client: Client) -> None:
    org = do_create(registry.Organisation, {"name": "Bakkerij Jansen BV"}, actor=STAFF)
    service = do_create(registry.Service, {"organisation": org, "kind": "web_hosting"}, actor=STAFF)
    do_create(
        ServiceIdentifier, {"service": service, "kind": "domain", "value": "jansen.example"}, actor=STAFF
    )
    do_create(
        ServiceIdentifier, {"service": service, "kind": "ip_address", "value": "192.0.2.10"}, actor=STAFF
    )
    body = staff_client.get("/admin/registry/serviceidentifier/", {"q": "192.0.2.10"}).content.decode()
    assert "192.0.2.10" in body and "jansen.example" not in body
    assert (
        "jansen.example"
        in staff_client.get("/admin/registry/service/", {"q": "jansen.example"}).content.decode()
    )


def test_it_shows_a_record_and_its_history_without_a_way_to_change_it(
    staff_client: Client, anna: Person
) -> None:
    detail = staff_client.get(f"/admin/registry/person/{anna.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    history = staff_client.get(f"/admin/registry/person/{anna.pk}/history/")
    assert history.status_code == 200
    assert "customer asked" in history.content.decode()
    assert staff_client.get("/admin/registry/person/add/").status_code == 403
    assert staff_client.post(f"/admin/registry/person/{anna.pk}/delete/").status_code == 403
    assert Person.objects.filter(pk=anna.pk).exists()


def test_it_lists_the_journal_read_only(staff_client: Client, anna: Person) -> None:
    page = staff_client.get("/admin/journal/journalentry/")
    assert page.status_code == 200
    assert "registry.person.updated" in page.content.decode()
    assert staff_client.get("/admin/journal/journalentry/add/").status_code == 403


def test_it_journals_an_administrators_looks_as_the_console_does(
    staff_client: Client, anna: Person, monkeypatch: pytest.MonkeyPatch, publish
) -> None:
    """The admin is no way around the record of looks: a person's or organisation's page and its history
    copies are a look (``viewed``), each record a list shows is one too (``listed``), with the
    administrator as actor and no payload. A page that shows no record journals nothing."""
    import datetime as dt

    from tests.accounts.personas import give_totp
    from trustdesk.rights.services import do_open_request

    publish()  # a request needs a policy in effect, which asks staff for two-factor authentication
    user = User.objects.get(username="officer")
    give_totp(user)
    actor = f"user:{user.pk}"
    bob = do_create(Person, {"first_name": "Bob", "email": "bob@jansen.example"}, actor=STAFF)
    org = do_create(registry.Organisation, {"name": "Bakkerij Jansen BV"}, actor=STAFF)

    def looks(action: str) -> list[str]:
        return sorted(
            JournalEntry.objects.filter(action=action, actor=actor).values_list("object_id", flat=True)
        )

    assert staff_client.get("/admin/registry/person/").status_code == 200
    assert looks("registry.person.listed") == sorted([str(anna.pk), str(bob.pk)])
    assert staff_client.get(f"/admin/registry/person/{anna.pk}/change/").status_code == 200
    assert looks("registry.person.viewed") == [str(anna.pk)]
    # The role looked in, for the purpose the person's access report gives: a superuser without a profile
    # looks as the administrator.
    assert all(e.payload == {"role": "administrator"} for e in JournalEntry.objects.filter(actor=actor))

    monkeypatch.setattr("trustdesk.registry.services.VIEW_QUIET", dt.timedelta(0))
    staff_client.get(f"/admin/registry/person/{anna.pk}/history/")
    version = anna.history.order_by("history_id").first()
    assert version is not None
    assert (
        staff_client.get(f"/admin/registry/person/{anna.pk}/history/{version.history_id}/").status_code == 200
    )
    assert looks("registry.person.viewed") == [str(anna.pk)] * 3
    staff_client.get(f"/admin/registry/organisation/{org.pk}/change/")
    assert looks("registry.organisation.viewed") == [str(org.pk)]

    before = JournalEntry.objects.count()
    assert staff_client.get("/admin/registry/person/999999/change/").status_code == 302  # "does not exist"
    assert staff_client.get("/admin/registry/person/", {"q": "nobody-by-this-name"}).status_code == 200
    assert staff_client.get("/admin/registry/service/").status_code == 200  # no service stored: none seen
    assert JournalEntry.objects.count() == before

    request = do_open_request(
        "access", email="anna@example.be", channel="letter", actor=STAFF, acknowledge=False
    )
    staff_client.get("/admin/rights/request/")  # references, kinds and states: no look at anyone
    assert looks("rights.request.listed") == []
    assert staff_client.get(f"/admin/rights/request/{request.pk}/change/").status_code == 200
    assert looks("rights.request.viewed") == [str(request.pk)]


def test_every_admin_of_a_record_about_someone_journals_its_looks() -> None:
    """Every model the data map reaches (a record about a person or an organisation, in any app: the
    registry's, requests, consents, accounts and their sessions) has an admin that journals its looks;
    the admins of records about no one (the journal, cookie choices, the erasure ledger, job locks) do not."""
    from trustdesk.registry.admin import LooksJournaled
    from trustdesk.registry.datamap_ops import label, reaches

    about_someone = {reach.model for reach in reaches()}
    journaled = {label(m) for m, a in admin.site._registry.items() if isinstance(a, LooksJournaled)}
    assert journaled == {label(m) for m in about_someone if admin.site.is_registered(m)}
    assert {"auth.user", "usersessions.usersession", "registry.invoice", "consent.consentevent"} <= journaled
    others = {label(m) for m in admin.site._registry} - journaled
    assert others == {
        "journal.journalentry",
        "consent.cookiechoice",
        "rights.erasureledgerentry",
        "retention.joblock",
    }


def test_an_entrys_page_with_personal_details_is_a_look_at_the_record_it_is_about(
    staff_client: Client, anna: Person
) -> None:
    """The journal's list shows no payload, an entry's page does: Anna's address before and after. Reading
    it is a look at Anna's record. An entry without personal details (a look's role), or about a record since
    deleted, is no look."""
    user = User.objects.get(username="officer")
    actor = f"user:{user.pk}"
    changed = JournalEntry.objects.get(action="registry.person.updated", object_id=str(anna.pk))
    assert staff_client.get("/admin/journal/journalentry/").status_code == 200
    assert not JournalEntry.objects.filter(actor=actor).exists(), "the list shows no personal details"

    page = staff_client.get(f"/admin/journal/journalentry/{changed.pk}/change/")
    assert page.status_code == 200 and "anna.peeters@example.be" in page.content.decode()
    (look,) = JournalEntry.objects.filter(actor=actor)
    assert (look.action, look.object_type, look.object_id) == (
        "registry.person.viewed",
        "registry.person",
        str(anna.pk),
    )
    assert look.payload == {"role": "administrator"}

    bob = do_create(Person, {"first_name": "Bob", "email": "bob@jansen.example"}, actor=STAFF)
    created = JournalEntry.objects.get(action="registry.person.created", object_id=str(bob.pk))
    Person.objects.filter(pk=bob.pk).delete()
    before = JournalEntry.objects.count()
    staff_client.get(f"/admin/journal/journalentry/{look.pk}/change/")  # a look's role: no one's data
    staff_client.get(f"/admin/journal/journalentry/{created.pk}/change/")  # Bob is no longer stored
    assert staff_client.get("/admin/journal/journalentry/99999999999999999999999/change/").status_code == 302
    assert JournalEntry.objects.count() == before
