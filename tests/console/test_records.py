"""Search by name, e-mail address, domain name or IP address; a record's personal fields, history and journal."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from tests.console.conftest import ROLES, Desk
from tests.personas import STAFF
from trustdesk.registry.models import ServiceIdentifier
from trustdesk.registry.services import Actor, do_create, do_update

pytestmark = pytest.mark.django_db


def _identifiers(desk: Desk) -> None:
    for kind, value in (("domain", "anna-blog.be"), ("ip_address", "192.0.2.10")):
        do_create(
            ServiceIdentifier, {"service": desk.people.hosting, "kind": kind, "value": value}, actor=STAFF
        )


@pytest.mark.parametrize(
    "query", ["Anna Peeters", "peeters", "anna@example", "anna-blog.be", "www.anna-blog.be", "192.0.2.10"]
)
def test_it_finds_people_and_organisations(desk: Desk, query: str) -> None:
    _identifiers(desk)
    page = desk.client("abe").post("/console/search/", {"q": query})
    assert page.status_code == 200
    people = page.context["people"]
    organisations = [o for o, _ in page.context["organisations"]]
    if query in ("anna-blog.be", "192.0.2.10"):
        assert organisations == [desk.people.private]
        assert query in page.content.decode()
    elif query == "www.anna-blog.be":
        assert organisations == []  # a subdomain is not the domain
    else:
        assert desk.people.anna in people


def test_it_refuses_a_query_too_short(desk: Desk) -> None:
    page = desk.client("sam").post("/console/search/", {"q": "a"})
    assert page.status_code == 400 and page.context["people"] == []
    assert "Ensure this value has at least 2 characters" in page.content.decode()


def test_it_searches_by_post_only_so_that_no_name_stands_in_a_url(desk: Desk) -> None:
    client = desk.client("sam")
    page = client.get("/console/search/", {"q": "Anna Peeters"})
    assert page.status_code == 200
    assert page.context["searched"] is False and page.context["people"] == []
    html = page.content.decode()
    assert '<form method="post" action="/console/search/"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    found = client.post("/console/search/", {"q": "Anna Peeters"})
    assert found.status_code == 200 and desk.people.anna in found.context["people"]
    assert 'value="Anna Peeters"' in found.content.decode()  # the criteria stay in the form


def test_it_refuses_a_search_without_the_csrf_token(desk: Desk) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk.staff.sam)
    assert client.post("/console/search/", {"q": "Anna Peeters"}).status_code == 403


def test_it_shows_every_personal_field_the_history_and_the_journal_of_a_person(desk: Desk) -> None:
    anna = desk.people.anna
    do_update(anna, {"city": "Gent"}, actor=Actor(ref=f"user:{desk.staff.pia.pk}", user=desk.staff.pia))
    page = desk.client("pia").get(f"/console/people/{anna.pk}/")
    assert page.status_code == 200
    names = [f["name"] for f in page.context["fields"]]
    assert names == list(type(anna).data_map.personal)
    newest = page.context["history"][0]
    assert newest["who"] == "pia@hoster.example"
    assert {"field": "city", "old": "", "new": "Gent"} in newest["changes"]
    actions = [line["entry"].action for line in page.context["journal"]]
    assert "registry.person.created" in actions and "registry.person.updated" in actions
    updated = next(
        line for line in page.context["journal"] if line["entry"].action == "registry.person.updated"
    )
    assert updated["who"] == "pia@hoster.example"
    html = page.content.decode()
    assert "+32 470 12 34 56" in html and "Enter a request about this person" in html
    abuse = desk.client("abe").get(f"/console/people/{anna.pk}/")
    assert abuse.status_code == 200 and "Enter a request about this person" not in abuse.content.decode()
    assert desk.client("pia").get("/console/people/999999/").status_code == 404


def test_it_shows_an_organisation_with_its_services_and_identifiers(desk: Desk) -> None:
    _identifiers(desk)
    page = desk.client("sam").get(f"/console/organisations/{desk.people.private.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "anna-blog.be" in html and "192.0.2.10" in html and "Kerkstraat" not in html
    assert next(f["name"] for f in page.context["fields"]) == "name"
    client = desk.client(None)
    client.force_login(desk.staff.olga)
    assert client.get(f"/console/organisations/{desk.people.private.pk}/").status_code == 403


def test_a_journal_entry_s_details_read_as_lines_not_as_python(desk: Desk) -> None:
    anna = desk.people.anna
    do_update(anna, {"city": "Gent"}, actor=STAFF)
    page = desk.client("pia").get(f"/console/people/{anna.pk}/")
    created = next(
        line for line in page.context["journal"] if line["entry"].action == "registry.person.created"
    )
    (changed,) = created["details"]
    fields = [change["field"] for change in changed["changes"]]
    # Only the fields the creation filled, in the order of their names: none from empty to empty.
    assert fields == sorted(fields) and "first_name" in fields and "fax" not in fields
    assert {"field": "first_name", "old": None, "new": "Anna"} in changed["changes"]
    journal = page.content.decode().split('id="journal"')[1]
    assert "<dt><code>changed</code></dt>" in journal
    assert "<code>city</code>: <del>—</del> → <ins>Gent</ins>" in journal  # an empty old value reads '—'
    assert "{&#x27;changed&#x27;" not in journal and "[None," not in journal


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"records": 23}, [{"key": "records", "text": "23"}]),
        ({"by": "P1M", "note": ""}, [{"key": "by", "text": "P1M"}, {"key": "note", "text": "—"}]),
        ({"kinds": ["access", "erasure"]}, [{"key": "kinds", "text": "access, erasure"}]),
        ({"counts": {"deleted": 2, "kept": 0}}, [{"key": "counts", "text": "deleted: 2; kept: 0"}]),
        ({"changed": True}, [{"key": "changed", "text": "yes"}]),
        ({"changed": {"email": "x"}}, [{"key": "changed", "text": "email: x"}]),  # not the registry's form
        ("a text", [{"key": "", "text": "a text"}]),
        ([1, None], [{"key": "", "text": "1, —"}]),
        # A stored moment (UTC) as the page's "When" column writes it, in the site's time zone (Brussels).
        ({"due_on": "2026-03-01T23:30:00+00:00"}, [{"key": "due_on", "text": "2026-03-02 00:30"}]),
        ({"at": "2026-07-01T12:00:00.123456+00:00"}, [{"key": "at", "text": "2026-07-01 14:00"}]),
        ({"on": "2026-03-01"}, [{"key": "on", "text": "2026-03-01"}]),  # a date alone has no zone
        ({"at": "2026-13-01T00:00:00+00:00"}, [{"key": "at", "text": "2026-13-01T00:00:00+00:00"}]),
        ({"note": "2026-03-01T is when"}, [{"key": "note", "text": "2026-03-01T is when"}]),
        (
            {"changed": {"lifted_at": [None, "2026-03-01T23:30:00+00:00"], "city": ["", "Gent"]}},
            [
                {
                    "key": "changed",
                    "changes": [
                        {"field": "city", "old": "", "new": "Gent"},
                        {"field": "lifted_at", "old": None, "new": "2026-03-02 00:30"},
                    ],
                }
            ],
        ),
    ],
)
def test_payload_lines_write_every_kind_of_value(payload: object, expected: list[dict[str, str]]) -> None:
    from trustdesk.console.views.records import payload_lines

    assert payload_lines(payload) == expected


def test_a_history_copy_does_not_repeat_its_type_as_its_reason(desk: Desk) -> None:
    page = desk.client("pia").get(f"/console/people/{desk.people.anna.pk}/")
    oldest = page.context["history"][-1]
    assert oldest["type"] == "created" and oldest["reason"] == ""
    # No user account made it: the actor the journal names, in words.
    assert STAFF.ref == "operator:privacy-officer"
    assert oldest["who"] == "operator “privacy-officer” (command line)"
    assert "created (created)" not in page.content.decode()


def test_a_history_copy_names_who_made_it_as_the_journal_does(desk: Desk) -> None:
    from trustdesk.registry.models import Person

    anna = desk.people.anna
    from trustdesk.api.models import ApiToken

    token = ApiToken.objects.create(name="WHMCS sync", prefix="abcd1234", token_hash="0" * 64)
    do_update(anna, {"city": "Gent"}, actor=Actor(ref=f"api-token:{token.pk}"))
    do_update(
        anna, {"city": "Brugge"}, actor=Actor(ref=f"user:{desk.staff.pia.pk}")
    )  # a user without the object
    do_update(anna, {"city": "Leuven"}, actor=Actor(ref=f"user:{desk.staff.sam.pk}", user=desk.staff.sam))
    copies = Person.history.filter(id=anna.pk).order_by("-history_date", "-history_id")
    assert [c.history_actor for c in copies[:3]] == [
        f"user:{desk.staff.sam.pk}",
        f"user:{desk.staff.pia.pk}",
        f"api-token:{token.pk}",
    ]
    page = desk.client("pia").get(f"/console/people/{anna.pk}/")
    assert [row["who"] for row in page.context["history"][:3]] == [
        "sam@hoster.example",
        "pia@hoster.example",
        "API token “WHMCS sync”",
    ]
    journal = [
        line["who"] for line in page.context["journal"] if line["entry"].action == "registry.person.updated"
    ]
    assert "API token “WHMCS sync”" in journal


def test_a_record_lists_its_roles_per_organisation_and_person_with_their_periods(desk: Desk) -> None:
    """Two roles in one organisation read as one line; a role that ended says so, as does one to come."""
    import datetime as dt

    from django.utils import timezone

    from trustdesk.registry.models import Role
    from trustdesk.registry.services import do_link_person

    anna, company = desk.people.anna, desk.people.company
    today = timezone.localdate()
    do_link_person(company, anna, "user", actor=STAFF)
    billing = do_link_person(company, anna, "billing", actor=STAFF)
    technical = do_link_person(company, anna, "technical", actor=STAFF)
    Role.objects.filter(pk=billing.pk).update(until=today - dt.timedelta(days=1))
    Role.objects.filter(pk=technical.pk).update(since=today + dt.timedelta(days=7))
    ended, starts = (today - dt.timedelta(days=1)).isoformat(), (today + dt.timedelta(days=7)).isoformat()
    client = desk.client("pia")
    person = client.get(f"/console/people/{anna.pk}/")
    assert [(line["record"], line["roles"]) for line in person.context["roles"]] == [
        (desk.people.private, ["owner"]),
        (company, [f"billing contact, ended on {ended}", f"technical contact, from {starts}", "user"]),
    ]
    page = person.content.decode()
    assert (
        f">Bakkerij Jansen BV</a> (billing contact, ended on {ended}; technical contact, from {starts}; user)"
        in page
    )
    organisation = client.get(f"/console/organisations/{company.pk}/").content.decode()
    assert (
        f">Anna Peeters</a> (billing contact, ended on {ended}; technical contact, from {starts}; user)"
        in organisation
    )
    assert ">Bob Jansen</a> (owner)" in organisation
    dutch = client.get(f"/console/people/{anna.pk}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert f"beëindigd op {ended}" in dutch and f"vanaf {starts}" in dutch


def test_actors_that_are_no_user_are_named_in_words(desk: Desk) -> None:
    from django.utils import translation

    from trustdesk.console.views.records import actor_names
    from trustdesk.lib.pseudonyms import pseudonymise

    visitor = "visitor:" + pseudonymise("192.0.2.7", kind="ip")
    refs = ["system", "operator:root", "link:12", visitor, "user:999999", "api-token:999999", "import:x"]
    names = actor_names(refs)
    assert names["system"] == "Trustdesk, automatically"
    assert names["operator:root"] == "operator “root” (command line)"
    assert names["link:12"] == "the person, by the link sent to them"
    assert names[visitor] == f"a visitor (address pseudonym {visitor.removeprefix('visitor:')[:11]}…)"
    assert "192.0.2.7" not in names[visitor]
    # A user or token that no longer exists, and a reference of another shape, stay as they are.
    assert "user:999999" not in names and "api-token:999999" not in names and "import:x" not in names
    with translation.override("nl"):
        dutch = actor_names(["system", "operator:root"])
    assert dutch == {"system": "Trustdesk, automatisch", "operator:root": "operator “root” (opdrachtregel)"}


def test_support_sees_the_network_a_customer_logged_in_from_and_the_privacy_officer_the_address(
    desk: Desk,
) -> None:
    """The journal on a person's page lists their account's log-ins with where they came from: support, who
    helps a blocked customer back in, sees the network (enough to tell their usual place from a new one);
    the privacy officer and administrators the whole address; the abuse desk neither."""
    from tests.accounts.personas import log_in

    olga = desk.staff.olga
    page = f"/console/people/{olga.profile.person.pk}/"
    assert log_in(Client(REMOTE_ADDR="192.0.2.77"), olga.email).status_code == 302
    assert log_in(Client(REMOTE_ADDR="2001:db8:7:1::5"), olga.email).status_code == 302
    # A failed log-in names the visitor by a keyed pseudonym of the address, for every role.
    assert log_in(Client(REMOTE_ADDR="203.0.113.9"), olga.email, "not her password").status_code == 200

    seen = {name: desk.client(name).get(page).content.decode().split('id="journal"')[1] for name in ROLES}
    for whole in ("pia", "ada"):
        assert "<dd>192.0.2.77</dd>" in seen[whole] and "<dd>2001:db8:7:1::5</dd>" in seen[whole]
    support = seen["sam"]
    assert support.count("accounts.logged_in") == 2 and "accounts.login_failed" in support
    assert "<dd>192.0.2.0/24 (the network only)</dd>" in support
    assert "<dd>2001:db8:7::/48 (the network only)</dd>" in support
    assert "192.0.2.77" not in support and "2001:db8:7:1::5" not in support
    assert all("203.0.113" not in page for page in seen.values())
    assert "accounts.login_failed" not in seen["abe"] and "192.0.2" not in seen["abe"]
    dutch = desk.client("sam").get(page, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "192.0.2.0/24 (alleen het netwerk)" in dutch


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("198.51.100.200", "198.51.100.0/24 (the network only)"),
        ("::ffff:198.51.100.200", "198.51.100.0/24 (the network only)"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd::/48 (the network only)"),
        ("10.1.2.3", "10.1.2.0/24 (the network only)"),
        ("not an address", "not shown"),
        ("192.0.2.300", "not shown"),
    ],
)
def test_an_address_shown_by_its_network_never_shows_the_address(value: str, shown: str) -> None:
    from trustdesk.console.views.records import payload_lines

    lines = payload_lines({"ip": value, "user_agent": "Firefox"}, whole_addresses=False)
    assert lines == [{"key": "ip", "text": shown}, {"key": "user_agent", "text": "Firefox"}]
    assert payload_lines({"ip": value}) == [{"key": "ip", "text": value}]


def test_support_lifts_a_customers_log_in_block_with_a_reason_that_is_journaled(desk: Desk) -> None:
    """A customer blocked after failed log-ins calls the desk: the person's page shows the account and the
    block; support, the privacy officer and administrators lift it with a reason, journaled; the abuse desk
    sees the account but cannot lift anything."""
    from tests.accounts.personas import log_in
    from tests.portal.conftest import client_for
    from trustdesk.accounts import lockout
    from trustdesk.journal.models import JournalEntry

    olga = desk.staff.olga
    person = olga.profile.person
    for _ in range(5):  # the test policy's number of attempts
        lockout.record_failure(olga.email, actor="test")
    assert log_in(Client(), olga.email).status_code == 200  # blocked: the form again
    page = f"/console/people/{person.pk}/"
    unlock = f"{page}unlock/"

    shown = desk.client("sam").get(page).content.decode()
    assert 'id="account"' in shown and "olga@example.com (confirmed)" in shown
    assert "Blocked until" in shown and "Lift the block" in shown and "<dd>5</dd>" in shown
    assert "accounts.locked" in shown  # the journal part: her account's block, with her log-ins
    abuse = desk.client("abe")
    seen = abuse.get(page).content.decode()
    assert 'id="account"' in seen and "Lift the block" not in seen
    assert "accounts.locked" not in seen and "accounts.login_failed" not in seen  # nor her log-ins' addresses
    assert abuse.post(unlock, {"reason": "asked"}).status_code == 403

    support = desk.client("sam")
    refused = support.post(unlock, {"reason": "  "})
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    assert lockout.check(olga.email, actor="test") is not None  # still blocked
    done = support.post(unlock, {"reason": "Called from her known number; asked her invoice's number"})
    assert done.status_code == 302 and done["Location"] == f"{page}#account"
    assert lockout.check(olga.email, actor="test") is None
    entry = JournalEntry.objects.filter(action="accounts.unlocked").get()
    assert entry.actor == f"user:{desk.staff.sam.pk}"
    assert entry.payload == {"reason": "Called from her known number; asked her invoice's number"}
    after = support.get(page).content.decode()
    assert "The block is lifted" in after and "Blocked until" not in after and "<dd>0</dd>" in after
    assert log_in(Client(), olga.email).status_code == 302
    assert support.get(unlock).status_code == 405
    # Failed log-ins with no block: setting them back is journaled too, and her log-in history shows it.
    for _ in range(2):
        lockout.record_failure(olga.email, actor="test")
    reset = support.post(unlock, {"reason": "She asked after two typing errors"}, follow=True)
    assert "The failed log-ins are set back to none." in reset.content.decode()
    entry = JournalEntry.objects.filter(action="accounts.failures_reset").get()
    assert entry.payload == {"reason": "She asked after two typing errors", "failures": 2}
    assert "Failed log-ins set back to none" in client_for(olga).get("/account/history/").content.decode()


def test_support_removes_two_factor_for_a_customer_who_lost_it_after_a_wait_and_the_customer_is_told(
    desk: Desk, smtp, commit, settings
) -> None:
    """A customer lost their authenticator app and recovery codes: support checks it is them and asks for the
    removal with a reason (journaled). The owner is told at once; the periodic job removes it once due, and
    the customer is told again and logs in with the password alone. The abuse desk cannot do it."""
    import datetime as dt

    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from django.utils import timezone

    from tests.accounts.personas import PASSWORD, give_totp, log_in
    from tests.portal.conftest import client_for
    from trustdesk.accounts.models import TwoFactorRemoval
    from trustdesk.journal.models import JournalEntry
    from trustdesk.retention.jobs import run_periodic

    olga = desk.staff.olga
    person = olga.profile.person
    give_totp(olga)
    RecoveryCodes.activate(olga)
    assert log_in(Client(), olga.email)["Location"] == "/account/2fa/authenticate/"
    page = f"/console/people/{person.pk}/"
    remove = f"{page}two-factor/remove/"

    shown = desk.client("sam").get(page).content.decode()
    assert "Remove two-factor authentication" in shown and 'name="two_factor-reason"' in shown
    assert 'id="id_two_factor-reason"' in shown  # not the unlock form's id
    assert "It is removed after 24 hours, in which its owner is told by e-mail and can keep it" in shown
    abuse = desk.client("abe")
    assert "Remove two-factor authentication" not in abuse.get(page).content.decode()
    assert abuse.post(remove, {"two_factor-reason": "asked"}).status_code == 403

    support = desk.client("sam")
    refused = support.post(remove, {"two_factor-reason": " "})
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    assert Authenticator.objects.filter(user=olga).count() == 2 and smtp.messages == []
    reason = "Called from her known number; she read out her last invoice's number"
    before = timezone.now()
    with commit():
        done = support.post(remove, {"two_factor-reason": reason}, follow=True)
    after = done.content.decode()
    assert "Two-factor authentication is removed on " in after and "can keep it until then" in after
    assert "Withdraw the removal" in after and html.escape(reason) in after
    assert "Remove two-factor authentication</button>" not in after  # one removal at a time
    assert Authenticator.objects.filter(user=olga).count() == 2  # not yet
    removal = TwoFactorRemoval.objects.get(user=olga)
    assert removal.ended_at is None and removal.asked_by == f"user:{desk.staff.sam.pk}"
    assert dt.timedelta(hours=24) <= removal.due_at - before <= dt.timedelta(hours=24, minutes=1)
    asked = JournalEntry.objects.get(action="accounts.two_factor_removal_asked")
    assert asked.actor == f"user:{desk.staff.sam.pk}" and asked.object_id == str(olga.pk)
    assert asked.payload == {"reason": reason, "due_at": removal.due_at.isoformat()}
    [warning] = smtp.to(olga.email)
    assert warning["Subject"] == "Two-factor authentication will be removed from your account"
    text = smtp.text(warning)
    assert "If you did not ask for this, someone may be trying to get into your account" in text
    assert "Keep two-factor authentication" in text and f"{settings.SITE_URL}/account/" in text
    assert reason not in text  # the staff's note is theirs, not the e-mail's
    with commit():
        twice = support.post(remove, {"two_factor-reason": reason})
    assert twice.status_code == 400
    assert "already asked for: it is due" in twice.content.decode()
    assert TwoFactorRemoval.objects.count() == 1 and len(smtp.to(olga.email)) == 1

    # A second member of staff approves it: not the one who asked, not the abuse desk.
    waiting = support.get(page).content.decode()
    assert "a second member of staff has yet to approve it" in waiting
    assert "Approve the removal</button>" not in waiting
    approve = f"{page}two-factor/approve/"
    assert abuse.post(approve).status_code == 403
    own = support.post(approve)
    assert own.status_code == 400 and "not the one who asked for it" in own.content.decode()
    assert removal.approved_at is None
    privacy = desk.client("pia")
    assert "Approve the removal</button>" in privacy.get(page).content.decode()
    assert privacy.get(approve).status_code == 405
    # Due and not approved, the job leaves it.
    TwoFactorRemoval.objects.filter(pk=removal.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    assert run_periodic(actor=Actor.system(), force=True, only=["two_factor_removals"]).ran == {
        "two_factor_removals": {"removed": 0, "nothing_to_remove": 0, "notices_not_sent": 0}
    }
    TwoFactorRemoval.objects.filter(pk=removal.pk).update(due_at=removal.due_at)
    approved = privacy.post(approve, follow=True).content.decode()
    assert "The removal is approved: it is carried out on" in approved
    assert f"asked by {desk.staff.sam.email}; approved by {desk.staff.pia.email} on" in approved
    assert "Approve the removal</button>" not in approved
    assert JournalEntry.objects.get(action="accounts.two_factor_removal_approved").actor == (
        f"user:{desk.staff.pia.pk}"
    )

    # Not due yet: the periodic job leaves it.
    assert run_periodic(actor=Actor.system(), force=True, only=["two_factor_removals"]).ran == {
        "two_factor_removals": {"removed": 0, "nothing_to_remove": 0, "notices_not_sent": 0}
    }
    TwoFactorRemoval.objects.filter(pk=removal.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    with commit():
        ran = run_periodic(actor=Actor.system(), force=True, only=["two_factor_removals"])
    assert ran.ran == {"two_factor_removals": {"removed": 1, "nothing_to_remove": 0, "notices_not_sent": 0}}
    assert not Authenticator.objects.filter(user=olga).exists()
    removal.refresh_from_db()
    assert removal.outcome == "removed" and removal.ended_by == "system" and removal.ended_at is not None
    entry = JournalEntry.objects.get(action="accounts.two_factor_removed")
    assert entry.actor == f"user:{desk.staff.sam.pk}" and entry.object_id == str(olga.pk)
    assert entry.payload == {"reason": reason, "authenticators": 2}
    notice = smtp.to(olga.email)[-1]
    assert notice["Subject"] == "Two-factor authentication was removed from your account"
    text = smtp.text(notice)
    assert "you could no longer use your authenticator app" in text and "Forgot your password?" in text
    assert reason not in text

    customer = Client()
    assert log_in(customer, olga.email, PASSWORD)["Location"] != "/account/2fa/authenticate/"
    history = client_for(olga).get("/account/history/").content.decode()
    assert "Our staff were asked to remove two-factor authentication" in history
    assert "Two-factor authentication removed by our staff" in history
    shown = support.get(page).content.decode()
    assert "Withdraw the removal" not in shown and "Remove two-factor authentication</button>" not in shown
    with commit():
        again = support.post(remove, {"two_factor-reason": reason}, follow=True)
    assert "The account had no two-factor authentication to remove." in again.content.decode()
    assert JournalEntry.objects.filter(action="accounts.two_factor_removed").count() == 1
    assert len(smtp.to(olga.email)) == 2


def test_with_no_wait_support_removes_two_factor_at_once(desk: Desk, smtp, commit, settings) -> None:
    from allauth.mfa.models import Authenticator

    from tests.accounts.personas import give_totp
    from trustdesk.accounts.models import TwoFactorRemoval
    from trustdesk.journal.models import JournalEntry

    settings.TRUSTDESK_TWO_FACTOR_REMOVAL_WAIT_HOURS = 0
    settings.TRUSTDESK_TWO_FACTOR_REMOVAL_SECOND_APPROVAL = False  # a desk of one
    olga = desk.staff.olga
    give_totp(olga)
    page = f"/console/people/{olga.profile.person.pk}/"
    support = desk.client("sam")
    assert "They then log in with their password alone." in support.get(page).content.decode()
    with commit():
        done = support.post(
            f"{page}two-factor/remove/", {"two_factor-reason": "She came to the desk"}, follow=True
        )
    assert "Two-factor authentication is removed: the account logs in with its password alone" in (
        done.content.decode()
    )
    assert not Authenticator.objects.filter(user=olga).exists()
    removal = TwoFactorRemoval.objects.get(user=olga)
    assert removal.outcome == "removed" and removal.ended_by == f"user:{desk.staff.sam.pk}"
    assert not JournalEntry.objects.filter(action="accounts.two_factor_removal_asked").exists()
    assert JournalEntry.objects.filter(action="accounts.two_factor_removed").count() == 1
    [notice] = smtp.to(olga.email)
    assert notice["Subject"] == "Two-factor authentication was removed from your account"


def test_with_no_wait_the_second_member_of_staff_s_approval_removes_it(
    desk: Desk, smtp, commit, settings
) -> None:
    from allauth.mfa.models import Authenticator

    from tests.accounts.personas import give_totp
    from trustdesk.accounts.models import TwoFactorRemoval

    settings.TRUSTDESK_TWO_FACTOR_REMOVAL_WAIT_HOURS = 0
    olga = desk.staff.olga
    give_totp(olga)
    page = f"/console/people/{olga.profile.person.pk}/"
    shown = desk.client("ada").get(page).content.decode()
    assert "Another member of staff approves it before it is carried out." in shown
    with commit():
        asked = desk.client("ada").post(
            f"{page}two-factor/remove/", {"two_factor-reason": "She came to the desk"}, follow=True
        )
    said = asked.content.decode()
    assert "Another member of staff approves the removal on this page before it is carried out" in said
    assert Authenticator.objects.filter(user=olga).exists()  # not yet: nobody approved it
    assert len(smtp.to(olga.email)) == 1  # she is told it is coming
    with commit():
        done = desk.client("sam").post(f"{page}two-factor/approve/", follow=True)
    assert "Two-factor authentication is removed: the account logs in" in done.content.decode()
    assert not Authenticator.objects.filter(user=olga).exists()
    removal = TwoFactorRemoval.objects.get(user=olga)
    assert removal.outcome == "removed" and removal.ended_by == f"user:{desk.staff.sam.pk}"
    assert smtp.to(olga.email)[-1]["Subject"] == "Two-factor authentication was removed from your account"


def test_an_approval_that_finds_nothing_left_to_remove_says_so(desk: Desk, commit, settings) -> None:
    from allauth.mfa.models import Authenticator

    from tests.accounts.personas import give_totp
    from trustdesk.accounts.models import TwoFactorRemoval

    settings.TRUSTDESK_TWO_FACTOR_REMOVAL_WAIT_HOURS = 0
    olga = desk.staff.olga
    give_totp(olga)
    page = f"/console/people/{olga.profile.person.pk}/"
    with commit():
        desk.client("sam").post(f"{page}two-factor/remove/", {"two_factor-reason": "She came to the desk"})
    Authenticator.objects.filter(user=olga).delete()  # she turned it off herself meanwhile
    with commit():
        done = desk.client("pia").post(f"{page}two-factor/approve/", follow=True).content.decode()
    assert "The account had no two-factor authentication to remove." in done
    assert "Two-factor authentication is removed" not in done
    assert TwoFactorRemoval.objects.get(user=olga).outcome == "nothing"


def test_support_withdraws_a_removal_asked_in_error_and_the_owner_is_told(desk: Desk, smtp, commit) -> None:
    from allauth.mfa.models import Authenticator

    from tests.accounts.personas import give_totp
    from trustdesk.accounts.models import TwoFactorRemoval
    from trustdesk.journal.models import JournalEntry

    olga = desk.staff.olga
    give_totp(olga)
    page = f"/console/people/{olga.profile.person.pk}/"
    support = desk.client("sam")
    with commit():
        support.post(f"{page}two-factor/remove/", {"two_factor-reason": "Caller knew her address"})
    withdraw = f"{page}two-factor/withdraw/"
    assert desk.client("abe").post(withdraw).status_code == 403
    assert support.get(withdraw).status_code == 405
    with commit():
        done = support.post(withdraw, follow=True)
    assert (
        "The removal is withdrawn: two-factor authentication stays. The owner is told."
        in done.content.decode()
    )
    assert "Remove two-factor authentication</button>" in done.content.decode()  # may be asked again
    removal = TwoFactorRemoval.objects.get(user=olga)
    assert removal.outcome == "withdrawn" and removal.ended_by == f"user:{desk.staff.sam.pk}"
    entry = JournalEntry.objects.get(action="accounts.two_factor_removal_withdrawn")
    assert entry.payload == {"asked_at": removal.created_at.isoformat()}
    told = smtp.to(olga.email)[-1]
    assert told["Subject"] == "Two-factor authentication stays on your account"
    assert "Our staff have withdrawn that removal" in smtp.text(told)
    with commit():
        none = support.post(withdraw, follow=True)
    assert "No removal of this account&#x27;s two-factor authentication is waiting." in none.content.decode()
    assert len(smtp.to(olga.email)) == 2
    assert Authenticator.objects.filter(user=olga).exists()


def test_every_look_at_a_record_is_journaled_and_the_privacy_officer_sees_who_looked(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Accountability: a member of staff who opens a person's or organisation's page leaves a journal entry
    (who, what, when; no payload), once in a quarter of an hour; those who oversee the staff see the list,
    apart from the journal, and the person's access report names it."""
    import datetime as dt

    from trustdesk.journal.models import JournalEntry
    from trustdesk.rights.fulfil.readable import _what_happened

    anna, bakkerij = desk.people.anna, desk.people.company
    page = f"/console/people/{anna.pk}/"
    support = desk.client("sam")
    for _ in range(2):
        assert support.get(page).status_code == 200
    views = JournalEntry.objects.filter(action="registry.person.viewed", object_id=str(anna.pk))
    [entry] = views
    assert entry.actor == f"user:{desk.staff.sam.pk}" and entry.object_type == "registry.person"
    assert entry.payload == {"role": "support"}  # why the look, for the access report; never who
    shown = support.get(page).content.decode()
    assert 'id="views"' not in shown and "registry.person.viewed" not in shown  # support sees no list
    # Once the quarter of an hour is over, it counts again.
    monkeypatch.setattr("trustdesk.registry.services.VIEW_QUIET", dt.timedelta(0))
    support.get(page)
    monkeypatch.undo()
    assert views.all().count() == 2

    desk.client("abe").get(f"/console/organisations/{bakkerij.pk}/")
    assert JournalEntry.objects.filter(
        action="registry.organisation.viewed", object_id=str(bakkerij.pk), actor=f"user:{desk.staff.abe.pk}"
    ).exists()

    officer = desk.client("pia").get(page).content.decode()
    looked = officer.split('id="views"')[1].split("</section>")[0]
    assert "Members of staff looked at this record, its requests or its account 3 times" in looked
    assert looked.count(desk.staff.sam.email) == 2 and looked.count(desk.staff.pia.email) == 1
    assert looked.count(f'<a href="/console/staff/{desk.staff.sam.pk}/looks/">') == 2  # to all their looks
    journal = officer.split('id="journal"')[1].split("</section>")[0]
    assert "registry.person.viewed" not in journal  # apart from the journal, not in it
    organisation = desk.client("ada").get(f"/console/organisations/{bakkerij.pk}/").content.decode()
    assert "Members of staff looked at this record 2 times" in organisation
    assert _what_happened("registry.person.viewed", "registry.person", "en") == (
        "Person: looked at by our staff"
    )
    assert _what_happened("registry.person.viewed", "registry.person", "nl").endswith(
        ": bekeken door onze medewerkers"
    )


def test_a_search_journals_each_record_its_results_show(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """Names and e-mail addresses in a search's results are a look at those records: one entry per record
    shown (no payload: the search's words are not kept), not again within a quarter of an hour of a look at
    it by the same member, and listed with the looks at its page for those who oversee the staff."""
    import datetime as dt

    from trustdesk.journal.models import JournalEntry
    from trustdesk.rights.fulfil.readable import _what_happened

    _identifiers(desk)
    anna, private = desk.people.anna, desk.people.private
    support = desk.client("sam")
    actor = f"user:{desk.staff.sam.pk}"
    assert support.post("/console/search/", {"q": "Anna Peeters"}).status_code == 200
    listed = JournalEntry.objects.filter(action="registry.person.listed", actor=actor)
    [entry] = listed
    assert (entry.object_type, entry.object_id, entry.payload) == (
        "registry.person",
        str(anna.pk),
        {"role": "support"},
    )
    support.post("/console/search/", {"q": "peeters"})
    support.get(f"/console/people/{anna.pk}/")  # opening the page is journaled, the second listing is not
    assert listed.all().count() == 1
    assert JournalEntry.objects.filter(action="registry.person.viewed", actor=actor).count() == 1
    support.post("/console/search/", {"q": "192.0.2.10"})
    assert JournalEntry.objects.filter(
        action="registry.organisation.listed", object_id=str(private.pk), actor=actor
    ).exists()
    # A search that finds nobody journals nothing; nor does a refused one.
    before = JournalEntry.objects.count()
    support.post("/console/search/", {"q": "nobody-by-this-name"})
    support.post("/console/search/", {"q": "a"})
    assert JournalEntry.objects.count() == before

    monkeypatch.setattr("trustdesk.registry.services.VIEW_QUIET", dt.timedelta(0))
    support.post("/console/search/", {"q": "Anna Peeters"})
    monkeypatch.undo()
    assert listed.all().count() == 2

    officer = desk.client("pia").get(f"/console/people/{anna.pk}/").content.decode()
    looked = officer.split('id="views"')[1].split("</section>")[0]
    assert (
        "Members of staff looked at this record, its requests or its account 4 times" in looked
    )  # 2 listings, 2 looks at the page
    assert looked.count("saw it in a list") == 2 and looked.count("opened its page") == 2
    assert "registry.person.listed" not in officer.split('id="journal"')[1].split("</section>")[0]
    assert _what_happened("registry.person.listed", "registry.person", "en") == (
        "Person: seen by our staff in a list"
    )


def test_a_refused_look_leaves_no_entry(desk: Desk) -> None:
    from trustdesk.journal.models import JournalEntry

    anna = desk.people.anna
    assert desk.client(None).get(f"/console/people/{anna.pk}/").status_code == 302
    assert Client().get("/console/people/999999/").status_code == 302
    assert desk.client("sam").get("/console/people/999999/").status_code == 404
    assert not JournalEntry.objects.filter(action__endswith=".viewed").exists()


def test_support_closes_an_account_to_log_in_and_opens_it_again_with_reasons_journaled(desk: Desk) -> None:
    """Bakkerij calls: Olga no longer works there. Support closes her account with the reason: her open
    session ends at once, her log-in is refused, nothing of hers is deleted; opening it again is as plain.
    The abuse desk sees the account but changes nothing; a second click says the account is closed already."""
    from tests.accounts.personas import log_in
    from trustdesk.journal.models import JournalEntry

    olga = desk.staff.olga
    person = olga.profile.person
    page = f"/console/people/{person.pk}/"
    close, reopen = f"{page}account/close/", f"{page}account/reopen/"
    her = Client()
    her.force_login(olga)
    assert her.get("/portal/").status_code == 200

    support = desk.client("sam")
    assert "Close the account to log-in" in support.get(page).content.decode()
    assert "Close the account to log-in" not in desk.client("abe").get(page).content.decode()
    assert desk.client("abe").post(close, {"access-reason": "asked"}).status_code == 403
    refused = support.post(close, {"access-reason": " "})
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    olga.refresh_from_db()
    assert olga.is_active

    done = support.post(close, {"access-reason": "The owner of Bakkerij called: Olga left in November"})
    assert done.status_code == 302 and done["Location"] == f"{page}#account"
    olga.refresh_from_db()
    assert not olga.is_active and her.get("/portal/").status_code == 302
    assert log_in(Client(), olga.email)["Location"] == "/account/inactive/"
    entry = JournalEntry.objects.get(action="accounts.deactivated")
    assert entry.actor == f"user:{desk.staff.sam.pk}" and entry.object_id == str(olga.pk)
    after = support.get(page).content.decode()
    assert "The account is closed to log-in; 1 session ended." in after
    assert "closed: the account cannot log in" in after and "Open the account again" in after
    assert olga.profile.person == person  # nothing deleted
    again = support.post(close, {"access-reason": "a second click"})
    assert again.status_code == 400 and "The account is closed already." in again.content.decode()

    assert (
        support.post(reopen, {"access-reason": "Olga is back; the owner confirmed by mail"}).status_code
        == 302
    )
    olga.refresh_from_db()
    assert olga.is_active and log_in(Client(), olga.email).status_code == 302
    assert JournalEntry.objects.get(action="accounts.reactivated").actor == f"user:{desk.staff.sam.pk}"
    assert support.get(close).status_code == 405
