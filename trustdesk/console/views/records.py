"""Search people and organisations (name, e-mail address, domain name, IP address) and their record pages:
every personal field the data map declares, the history copies of each change, and the journal about them."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from trustdesk.accounts import lockout, notices
from trustdesk.accounts.access import role_of, staff_required, user_has_two_factor
from trustdesk.accounts.models import LoginLock, Profile, UnsentNotice
from trustdesk.accounts.services import (
    AccountError,
    awaits_approval,
    do_approve_two_factor_removal,
    do_ask_two_factor_removal,
    do_deactivate_account,
    do_reactivate_account,
    do_withdraw_two_factor_removal,
    open_removal,
    second_approval,
    user_ref,
)
from trustdesk.api.models import ApiToken
from trustdesk.console import labels
from trustdesk.console.access import (
    ACCOUNT_ROLES,
    FULL_ADDRESS_ROLES,
    OVERSIGHT_ROLES,
    RECORD_ROLES,
    REQUEST_ROLES,
    get_organisation_for_staff,
    get_person_for_staff,
)
from trustdesk.console.forms import (
    AccountAccessForm,
    HandledForm,
    RemoveTwoFactorForm,
    SearchForm,
    UnlockForm,
)
from trustdesk.journal.models import JournalEntry
from trustdesk.lib import mail
from trustdesk.lib.pseudonyms import canonical
from trustdesk.registry.datamap_ops import journal_about, label, model_of
from trustdesk.registry.models import Organisation, Person, Role, ServiceIdentifier
from trustdesk.registry.services import (
    LISTED,
    PLAIN_REASONS,
    Actor,
    do_note_listing,
    do_note_view,
    look_actions,
)
from trustdesk.rights.fulfil.readable import stored_time
from trustdesk.rights.models import Request

RESULTS = 50
HISTORY_TYPES = {"+": _("created"), "~": _("changed"), "-": _("deleted")}
HISTORY_SHOWN = 200
JOURNAL_SHOWN = 200


def find_people(query: str) -> list[Person]:
    """People whose name or e-mail address contains the query (every word of it, for names)."""
    words = query.split()
    condition = Q(email__icontains=query)
    if words:
        by_name = Q()
        for word in words:
            by_name &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        condition |= by_name
    return list(Person.objects.filter(condition).order_by("last_name", "first_name", "pk")[:RESULTS])


def _identifier_value(query: str) -> str:
    try:
        return canonical(str(ipaddress.ip_address(query)), "ip")
    except ValueError:
        return query.lower().rstrip(".")


def find_organisations(query: str) -> list[tuple[Organisation, list[ServiceIdentifier]]]:
    """Organisations by name or e-mail address, and those holding a domain name or IP address like the query."""
    value = _identifier_value(query)
    identifiers = list(
        ServiceIdentifier.objects.filter(Q(value__iexact=value) | Q(value__iendswith="." + value))
        .select_related("service__organisation")
        .order_by("value")[:RESULTS]
    )
    matched: dict[int, tuple[Organisation, list[ServiceIdentifier]]] = {}
    for identifier in identifiers:
        organisation = identifier.service.organisation
        matched.setdefault(organisation.pk, (organisation, []))[1].append(identifier)
    for organisation in Organisation.objects.filter(
        Q(name__icontains=query) | Q(email__icontains=query)
    ).order_by("name", "pk")[:RESULTS]:
        matched.setdefault(organisation.pk, (organisation, []))
    return list(matched.values())[:RESULTS]


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required(*RECORD_ROLES)
def search(request: HttpRequest) -> HttpResponse:
    """GET shows the form; the search itself is a POST (with its CSRF token), so that names and e-mail
    addresses never stand in a URL, where proxies, server logs and the browser's history would keep them.
    The results are the POST's answer; a query string is ignored."""
    form = SearchForm(request.POST if request.method == "POST" else None)
    people: list[Person] = []
    organisations: list[tuple[Organisation, list[ServiceIdentifier]]] = []
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        people = find_people(query)
        organisations = find_organisations(query)
        # What the results show (names, e-mail addresses) is a look at those records: journaled as such.
        shown: list[models.Model] = [*people, *(organisation for organisation, _ in organisations)]
        do_note_listing(
            shown, actor=Actor(ref=user_ref(request.user), user=request.user), role=role_of(request.user)
        )
    return render(
        request,
        "console/search.html",
        {
            "form": form,
            "people": people,
            "organisations": organisations,
            "searched": form.is_valid(),
            "section": "search",
        },
        status=400 if form.errors else 200,
    )


def personal_fields(record: models.Model) -> list[dict[str, Any]]:
    """Every personal field the data map declares for the record, with its value and category."""
    mapping = type(record).data_map  # type: ignore[attr-defined]
    rows = []
    for name, declared in mapping.personal.items():
        field = record._meta.get_field(name)
        rows.append(
            {
                "name": name,
                "label": getattr(field, "verbose_name", name),
                "value": getattr(record, name),
                "category": declared.category,
                "erasure": declared.erasure.value,
            }
        )
    return rows


def role_lines(roles: Iterable[Role], *, by: str) -> list[dict[str, Any]]:
    """A record's roles, one line per record on their other side (``by``: "organisation" on a person's page,
    "person" on an organisation's), in the order given: that record and its roles' kinds, each with its
    period where it has one, so that a role that ended is not read as one that holds ("billing contact,
    ended on 2025-03-03")."""
    today = timezone.localdate()
    lines: dict[int, dict[str, Any]] = {}
    for role in roles:
        other = getattr(role, by)
        line = lines.setdefault(other.pk, {"record": other, "roles": []})
        kind = role.get_kind_display()
        if role.until is not None and role.until < today:
            text = _("%(kind)s, ended on %(until)s") % {"kind": kind, "until": role.until.isoformat()}
        elif role.since is not None and role.since > today:
            text = _("%(kind)s, from %(since)s") % {"kind": kind, "since": role.since.isoformat()}
        elif role.until is not None:
            text = _("%(kind)s, until %(until)s") % {"kind": kind, "until": role.until.isoformat()}
        else:
            text = kind
        line["roles"].append(str(text))
    return list(lines.values())


def history_copies(record: models.Model) -> list[dict[str, Any]]:
    """The history copies of the record, newest first: who (the user, or the actor the journal names: an
    API token, an import's operator, the system), when, and each changed field's old value."""
    manager = record.history  # type: ignore[attr-defined]
    copies = list(
        manager.select_related("history_user").order_by("history_date", "history_id")[:HISTORY_SHOWN]
    )
    names = actor_names(copy.history_actor for copy in copies if copy.history_user is None)
    rows = []
    previous = None
    for copy in copies:
        changes: list[dict[str, Any]] = []
        if previous is not None:
            delta = copy.diff_against(previous)
            changes = [{"field": c.field, "old": c.old, "new": c.new} for c in delta.changes]
        user = copy.history_user
        who = user.get_username() if user is not None else names.get(copy.history_actor, copy.history_actor)
        reason = copy.history_change_reason or ""
        if reason == PLAIN_REASONS.get(copy.history_type):
            reason = ""  # 'created (created)' says it twice
        rows.append(
            {
                "at": copy.history_date,
                "who": who,
                "type": HISTORY_TYPES.get(copy.history_type, copy.history_type),
                "reason": reason,
                "changes": changes,
            }
        )
        previous = copy
    rows.reverse()
    return rows


def _ids(refs: Iterable[str], prefix: str) -> list[int]:
    found = {ref.removeprefix(prefix) for ref in refs if ref.startswith(prefix)}
    return [int(i) for i in found if i.isdigit()]


def actor_names(refs: Iterable[str]) -> dict[str, str]:
    """The names behind actor references, in the page's language: a user's log-in name for ``user:<id>``, an
    API token's name (what it is for) for ``api-token:<id>``, an operator's for ``operator:<name>``, the
    person by their link for ``link:<id>``, a visitor by the start of their address's pseudonym for
    ``visitor:<pseudonym>``, and Trustdesk itself for ``system``. A reference of any other shape stays as
    it is."""
    refs = set(refs)
    names = {
        f"user:{user.pk}": user.get_username()
        for user in get_user_model().objects.filter(pk__in=_ids(refs, "user:"))
    }
    for token in ApiToken.objects.filter(pk__in=_ids(refs, "api-token:")).only("pk", "name"):
        names[f"api-token:{token.pk}"] = str(_("API token “%(name)s”") % {"name": token.name})
    for ref in refs:
        kind, _sep, rest = ref.partition(":")
        if ref == "system":
            names[ref] = str(_("Trustdesk, automatically"))
        elif kind == "operator" and rest:
            names[ref] = str(_("operator “%(name)s” (command line)") % {"name": rest})
        elif kind == "link" and rest:
            names[ref] = str(_("the person, by the link sent to them"))
        elif kind == "visitor" and rest:
            names[ref] = str(_("a visitor (address pseudonym %(start)s…)") % {"start": rest[:11]})
    return names


#: How the console writes a moment: as its "When" columns do, in the site's time zone.
WHEN_FORMAT = "Y-m-d H:i"


def _as_text(value: Any) -> str:
    """A journal payload's value as a person reads it: lists joined, mappings as 'key: value', a stored
    moment (ISO, in UTC) in the site's time zone as the page's "When" column writes it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return ", ".join(_as_text(item) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_as_text(item)}" for key, item in value.items()) or "—"
    moment = stored_time(value)
    return str(value) if moment is None else str(formats.date_format(moment, WHEN_FORMAT))


def _side(value: Any) -> Any:
    """One side of a registry change: written as :func:`_as_text` writes it, but ``None`` and "" left as they
    are (the page writes "—" for both)."""
    return value if value is None or value == "" else _as_text(value)


def _is_change(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


def network_of(text: str) -> str:
    """The network an IP address belongs to (IPv4 /24, IPv6 /48), for those who may not see the address
    itself; a value that is no address is not shown at all."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return gettext("not shown")
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return gettext("%(network)s (the network only)") % {
        "network": ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    }


def payload_lines(payload: Any, *, whole_addresses: bool = True) -> list[dict[str, Any]]:
    """A journal payload as lines of 'key: value'; a ``changed`` mapping (field -> [old, new], as the
    registry writes it) as one line per field with its old and new value, in the history copies' form,
    by field name. Without ``whole_addresses``, an ``ip`` (where someone logged in from) shows its network
    only."""
    if not isinstance(payload, dict):
        return [{"key": "", "text": _as_text(payload)}]
    lines: list[dict[str, Any]] = []
    for key, value in payload.items():
        if key == "changed" and isinstance(value, dict) and all(_is_change(v) for v in value.values()):
            # By name: PostgreSQL's jsonb keeps the keys in an order of its own.
            changes = [
                {"field": name, "old": _side(old), "new": _side(new)}
                for name, (old, new) in sorted(value.items())
            ]
            lines.append({"key": key, "changes": changes})
        elif key == "ip" and not whole_addresses and value:
            lines.append({"key": key, "text": network_of(str(value))})
        else:
            lines.append({"key": key, "text": _as_text(value)})
    return lines


VIEWS_SHOWN = 50


def journal_rows(ids_by_label: dict[str, set[Any]], *, whole_addresses: bool) -> list[dict[str, Any]]:
    entries = list(
        journal_about(ids_by_label).exclude(
            action__in=look_actions()
        )  # looks: apart.order_by("-seq")[:JOURNAL_SHOWN]
    )
    names = actor_names(entry.actor for entry in entries)
    return [
        {
            "entry": entry,
            "who": names.get(entry.actor, entry.actor),
            "details": (
                None
                if entry.payload is None
                else payload_lines(entry.payload, whole_addresses=whole_addresses)
            ),
        }
        for entry in entries
    ]


def looks_url(actor: str) -> str:
    """The page of a member of staff's looks at records, for a ``user:<id>`` actor; '' for any other."""
    number = actor.removeprefix("user:")
    return reverse("console:staff_looks", args=[number]) if actor != number and number.isdigit() else ""


def looked_at(
    record: models.Model, request: HttpRequest, related: dict[str, set[Any]] | None = None
) -> dict[str, Any] | None:
    """Journal that the member of staff looks at the record's page (a person's, an organisation's or a
    request's: ``do_note_view``) and, for those who oversee the staff, who looked at it lately: ``None`` for
    the others. ``related`` names other records whose looks count here too, each said by kind and number
    (a person's requests and account, looked at in the console or the admin)."""
    role = role_of(request.user)
    do_note_view(record, actor=Actor(ref=user_ref(request.user), user=request.user), role=role)
    if role not in OVERSIGHT_ROLES:
        return None
    own = (label(type(record)), str(record.pk))
    ids: dict[str, set[Any]] = {own[0]: {record.pk}}
    for object_type, keys in (related or {}).items():
        ids.setdefault(object_type, set()).update(keys)
    views = journal_about(ids).filter(action__in=look_actions())
    latest = list(views.order_by("-seq")[:VIEWS_SHOWN])
    names = actor_names(entry.actor for entry in latest)
    others = stored_records([entry for entry in latest if (entry.object_type, entry.object_id) != own])
    rows = []
    for entry in latest:
        key = (entry.object_type, entry.object_id)
        model = model_of(entry.object_type) if key != own else None
        number, url = others.get(key, (entry.object_id, ""))
        rows.append(
            {
                "at": entry.at,
                "who": names.get(entry.actor, entry.actor),
                "url": looks_url(entry.actor),
                "listed": entry.action.endswith("." + LISTED),
                # Another record than this page's: by kind and number, linked where the console shows it.
                "what": f"{capfirst(model._meta.verbose_name)} {number}" if model is not None else "",
                "what_url": url,
            }
        )
    return {"count": views.count(), "latest": rows, "related": bool(related)}


#: Where each kind of record looked at has its page in the console; the others (an invoice, an account's
#: session, seen in the admin) are named without a link.
_PAGES = {
    label(Person): "console:person",
    label(Organisation): "console:organisation",
}


def stored_records(entries: list[JournalEntry]) -> dict[tuple[str, str], tuple[str, str]]:
    """For each record the entries name that is still stored: how the list numbers it and its console page
    (people and organisations by id, requests by their case number; ``""`` for a kind the console has no
    page for). One query per kind of record. An erased record is left out."""
    ids: dict[str, set[Any]] = {}
    for entry in entries:
        model = model_of(entry.object_type)
        if model is None:
            continue
        try:
            ids.setdefault(entry.object_type, set()).add(model._meta.pk.to_python(entry.object_id))
        except ValidationError:
            continue  # an id the model could not hold names nothing stored
    stored: dict[tuple[str, str], tuple[str, str]] = {}
    for object_type, keys in ids.items():
        model = model_of(object_type)
        if model is Request:
            for pk, reference in Request.objects.filter(pk__in=keys).values_list("pk", "reference"):
                stored[(object_type, str(pk))] = (reference, reverse("console:request", args=[reference]))
            continue
        page = _PAGES.get(object_type)
        for pk in model._default_manager.filter(pk__in=keys).values_list("pk", flat=True):
            stored[(object_type, str(pk))] = (str(pk), reverse(page, args=[pk]) if page else "")
    return stored


def account_of(person: Person) -> dict[str, Any] | None:
    """The person's customer account as support needs it: the address it logs in with, whether that is
    confirmed, two-factor authentication, the last log-in, and failed log-ins in a row and a block in force
    (for any of its addresses). ``None`` when the person has no account."""
    from allauth.account.models import EmailAddress

    profile = Profile.objects.select_related("user").filter(person=person).first()
    if profile is None:
        return None
    user = profile.user
    addresses = list(EmailAddress.objects.filter(user=user).order_by("-primary", "email"))
    keys = {lockout.address_key(email) for email in {user.email, *(a.email for a in addresses)} if email}
    locks = list(LoginLock.objects.filter(Q(user=user) | Q(key__in=keys)))
    now = timezone.now()
    blocked = [lock.locked_until for lock in locks if lock.locked_until and lock.locked_until > now]
    return {
        "user": user,
        "email": user.email,
        "confirmed": any(a.verified for a in addresses if a.email.lower() == user.email.lower()),
        "two_factor": user_has_two_factor(user),
        "removal": open_removal(user),
        "unsent": unsent_notices(user, now),
        "last_login": user.last_login,
        "active": user.is_active,
        "failures": max((lock.failures for lock in locks), default=0),
        "blocked_until": max(blocked) if blocked else None,
    }


def unsent_notices(user: Any, now: dt.datetime) -> dict[str, Any] | None:
    """The account's notices kept to send again, and those given up lately; ``None`` when there are none."""
    rows = list(
        UnsentNotice.objects.filter(user=user)
        .filter(Q(given_up_at__isnull=True) | Q(given_up_at__gte=now - notices.GIVEN_UP_SHOWN))
        .order_by("created_at")
    )
    if not rows:
        return None
    waiting = [row for row in rows if row.given_up_at is None]
    return {
        "waiting": len(waiting),
        "next": min((row.next_attempt_at for row in waiting if row.next_attempt_at), default=None),
        "given_up": [row.given_up_at for row in rows if row.given_up_at is not None],
    }


#: The prefix of the two-factor form's fields: the person's page holds the unlock form too.
TWO_FACTOR_PREFIX = "two_factor"


def _person_page(
    request: HttpRequest,
    found: Person,
    unlock_form: UnlockForm | None = None,
    two_factor_form: RemoveTwoFactorForm | None = None,
    notices_form: HandledForm | None = None,
    access_form: AccountAccessForm | None = None,
    refusal: str = "",
    look: bool = False,
) -> HttpResponse:
    """The person's page; after a refused action, with its forms' errors or, for an action without a form,
    the ``refusal`` (answered 400). ``look``: the page is looked at (journaled), and for those who oversee
    the staff it says who looked at the person's record, requests and account."""
    role = role_of(request.user)
    requests = list(found.requests.order_by("-received_at")) if role in REQUEST_ROLES else []
    account = account_of(found)
    removal = account["removal"] if account is not None else None
    staff = (removal.asked_by, removal.approved_by) if removal is not None else ()
    names = actor_names(ref for ref in staff if ref)
    journaled: dict[str, set[Any]] = {label(Person): {found.pk}, "rights.request": {r.pk for r in requests}}
    if account is not None and role in ACCOUNT_ROLES:
        # Its log-ins (with the browser and the address they came from, only its network for support),
        # failures and blocks: for those who help the customer back in, not the abuse desk, which needs to
        # find who holds a domain or an address.
        journaled["auth.user"] = {account["user"].pk}
    views = looked_at(found, request, related=journaled) if look else None
    return render(
        request,
        "console/person.html",
        {
            "person": found,
            "fields": personal_fields(found),
            "roles": role_lines(
                found.roles.select_related("organisation").order_by(
                    "organisation__name", "organisation_id", "kind"
                ),
                by="organisation",
            ),
            "requests": [
                {"request": r, "kind": labels.KIND[r.kind], "status": labels.STATUS[r.status]}
                for r in requests
            ],
            "may_enter": role in REQUEST_ROLES,
            "account": account,
            "unlock_form": (unlock_form or UnlockForm()) if role in ACCOUNT_ROLES else None,
            "two_factor_form": (
                (two_factor_form or RemoveTwoFactorForm(prefix=TWO_FACTOR_PREFIX))
                if role in ACCOUNT_ROLES
                else None
            ),
            "removal_wait_hours": settings.TRUSTDESK_TWO_FACTOR_REMOVAL_WAIT_HOURS,
            "second_approval": second_approval(),
            "removal_staff": [names.get(ref, ref) for ref in staff],
            # Four eyes: whoever asked for the removal does not approve it too.
            "may_approve": (
                removal is not None
                and awaits_approval(removal)
                and role in ACCOUNT_ROLES
                and removal.asked_by != user_ref(request.user)
            ),
            "notices_form": (
                (notices_form or HandledForm(prefix=NOTICES_PREFIX)) if role in ACCOUNT_ROLES else None
            ),
            "access_form": (
                (access_form or AccountAccessForm(prefix=ACCESS_PREFIX)) if role in ACCOUNT_ROLES else None
            ),
            "history": history_copies(found),
            "journal": journal_rows(journaled, whole_addresses=role in FULL_ADDRESS_ROLES),
            "refusal": refusal,
            "views": views,
            "section": "search",
        },
        status=400
        if refusal
        or any(
            form is not None and form.errors
            for form in (unlock_form, two_factor_form, notices_form, access_form)
        )
        else 200,
    )


def _with_account(pk: int) -> tuple[Person, dict[str, Any]]:
    """The person of a staff action on their customer account, and that account; 404 without one."""
    found = get_person_for_staff(pk)
    account = account_of(found)
    if account is None:
        raise Http404("no account")
    return found, account


@require_safe
@staff_required(*RECORD_ROLES)
def person(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_person_for_staff(pk)
    return _person_page(request, found, look=True)


@staff_required(*ACCOUNT_ROLES)
@require_POST
def unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift the log-in block of the person's account before its time, with the reason (journaled)."""
    found, account = _with_account(pk)
    form = UnlockForm(request.POST)
    if not form.is_valid():
        return _person_page(request, found, form)
    lifted = lockout.unlock_user(
        account["user"], actor=user_ref(request.user), reason=form.cleaned_data["reason"], journal_reset=True
    )
    if lifted and account["blocked_until"] is not None:
        messages.success(request, gettext("The block is lifted: the account can log in again."))
    elif lifted:
        messages.success(request, gettext("The failed log-ins are set back to none."))
    else:
        messages.info(request, gettext("There was no block or failed log-in to lift."))
    return HttpResponseRedirect(reverse("console:person", args=[found.pk]) + "#account")


def _then(failures: list[mail.MailNotSent]) -> str:
    """What staff do about a notice to the owner that could not be sent: it is sent again, or it is not."""
    if failures and all(failure.kept for failure in failures):
        return gettext("It is sent again over the next three days: tell them another way if it cannot wait.")
    return gettext("Tell them another way.")


@staff_required(*ACCOUNT_ROLES)
@require_POST
def remove_two_factor(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove the two-factor authentication of the person's account, for a customer who lost their app and
    recovery codes, with the reason (journaled, and the owner is told by e-mail)."""
    found, account = _with_account(pk)
    form = RemoveTwoFactorForm(request.POST, prefix=TWO_FACTOR_PREFIX)
    if not form.is_valid():
        return _person_page(request, found, two_factor_form=form)
    try:
        with mail.reporting() as failures:  # the notice goes when the removal commits, inside this call
            removal = do_ask_two_factor_removal(
                account["user"], actor=user_ref(request.user), reason=form.cleaned_data["reason"]
            )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _person_page(request, found, two_factor_form=form)
    if removal is None:
        messages.info(request, gettext("The account had no two-factor authentication to remove."))
    elif removal.ended_at is not None:  # no wait: removed now
        _say_removed(request, failures)
    else:
        due = {"due": formats.date_format(timezone.localtime(removal.due_at), "DATETIME_FORMAT")}
        messages.add_message(
            request,
            messages.WARNING if failures else messages.SUCCESS,
            gettext(
                "The removal is recorded for %(due)s, but the e-mail that tells the owner could not be sent. "
                "%(then)s They can keep two-factor authentication until it is due."
            )
            % {**due, "then": _then(failures)}
            if failures
            else gettext(
                "Two-factor authentication is removed on %(due)s. Its owner is told by e-mail now and can keep "
                "it until then."
            )
            % due,
        )
        if second_approval():
            messages.info(
                request,
                gettext(
                    "Another member of staff approves the removal on this page before it is carried out: ask "
                    "one to read your reason."
                ),
            )
    return HttpResponseRedirect(reverse("console:person", args=[found.pk]) + "#account")


def _say_removed(request: HttpRequest, failures: list[mail.MailNotSent]) -> None:
    """The message after a removal of two-factor authentication carried out at once."""
    messages.add_message(
        request,
        messages.WARNING if failures else messages.SUCCESS,
        gettext(
            "Two-factor authentication is removed and recorded, but the e-mail that tells the owner could "
            "not be sent. %(then)s"
        )
        % {"then": _then(failures)}
        if failures
        else gettext(
            "Two-factor authentication is removed: the account logs in with its password alone until its "
            "owner sets it up again. They are told by e-mail."
        ),
    )


@staff_required(*ACCOUNT_ROLES)
@require_POST
def approve_two_factor_removal(request: HttpRequest, pk: int) -> HttpResponse:
    """A second member of staff approves the removal of the account's two-factor authentication, having read
    the reason; journaled. Carried out once due (now, if it is due already)."""
    found, account = _with_account(pk)
    try:
        with mail.reporting() as failures:  # the owner is told when a removal due already is carried out
            approved = do_approve_two_factor_removal(account["user"], actor=user_ref(request.user))
    except ValidationError as exc:
        return _person_page(request, found, refusal=" ".join(exc.messages))
    if approved is None:
        messages.info(request, gettext("No removal of this account's two-factor authentication is waiting."))
    elif approved.ended_at is None:
        messages.success(
            request,
            gettext("The removal is approved: it is carried out on %(due)s, unless its owner keeps it.")
            % {"due": formats.date_format(timezone.localtime(approved.due_at), "DATETIME_FORMAT")},
        )
    elif approved.outcome == approved.Outcome.NOTHING:  # due already, and the authenticators gone meanwhile
        messages.info(request, gettext("The account had no two-factor authentication to remove."))
    else:  # due already: removed now
        _say_removed(request, failures)
    return HttpResponseRedirect(reverse("console:person", args=[found.pk]) + "#account")


#: The prefix of the form that records how the owner was told of notices given up.
NOTICES_PREFIX = "notices"
#: The prefix of the form that closes an account to log-in or opens it again.
ACCESS_PREFIX = "access"


@staff_required(*ACCOUNT_ROLES)
@require_POST
def close_account(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the person's account to log-in (they left the customer, the account is misused), with the
    reason: its sessions end at once, nothing is deleted (``do_deactivate_account``, journaled)."""
    return _account_access(request, pk, active=False)


@staff_required(*ACCOUNT_ROLES)
@require_POST
def reopen_account(request: HttpRequest, pk: int) -> HttpResponse:
    """Open the person's closed account to log-in again, with the reason (``do_reactivate_account``)."""
    return _account_access(request, pk, active=True)


def _account_access(request: HttpRequest, pk: int, *, active: bool) -> HttpResponse:
    found, account = _with_account(pk)
    form = AccountAccessForm(request.POST, prefix=ACCESS_PREFIX)
    if not form.is_valid():
        return _person_page(request, found, access_form=form)
    actor, reason = user_ref(request.user), form.cleaned_data["reason"]
    try:
        if active:
            do_reactivate_account(account["user"], actor=actor, reason=reason)
            messages.success(request, gettext("The account can log in again."))
        else:
            ended = do_deactivate_account(account["user"], actor=actor, reason=reason)
            messages.success(
                request,
                ngettext(
                    "The account is closed to log-in; %(count)d session ended.",
                    "The account is closed to log-in; %(count)d sessions ended.",
                    ended,
                )
                % {"count": ended},
            )
    except AccountError as exc:  # closed or open already (two tabs, a second click)
        return _person_page(request, found, refusal=str(exc))
    return HttpResponseRedirect(reverse("console:person", args=[found.pk]) + "#account")


@staff_required(*ACCOUNT_ROLES)
@require_POST
def notices_told_otherwise(request: HttpRequest, pk: int) -> HttpResponse:
    """Record how the account's owner was told of the notices given up (by telephone, by letter); journaled,
    and they leave the lists."""
    found, account = _with_account(pk)
    form = HandledForm(request.POST, prefix=NOTICES_PREFIX)
    if not form.is_valid():
        return _person_page(request, found, notices_form=form)
    told = notices.do_record_told_otherwise(
        account["user"], actor=user_ref(request.user), note=form.cleaned_data["note"]
    )
    if told:
        messages.success(request, gettext("Recorded: the owner was told another way."))
    else:
        messages.info(request, gettext("No notice to this account was given up."))
    return HttpResponseRedirect(reverse("console:person", args=[found.pk]) + "#account")


@staff_required(*ACCOUNT_ROLES)
@require_POST
def withdraw_two_factor_removal(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw the removal of the account's two-factor authentication before it is due (asked in error);
    journaled, and the owner, who was told it would happen, is told it will not."""
    found, account = _with_account(pk)
    with mail.reporting() as failures:
        withdrawn = do_withdraw_two_factor_removal(account["user"], actor=user_ref(request.user))
    if withdrawn is None:
        messages.info(request, gettext("No removal of this account's two-factor authentication is waiting."))
    elif failures:
        messages.warning(
            request,
            gettext(
                "The removal is withdrawn, but the e-mail that tells the owner could not be sent. %(then)s"
            )
            % {"then": _then(failures)},
        )
    else:
        messages.success(
            request, gettext("The removal is withdrawn: two-factor authentication stays. The owner is told.")
        )
    return HttpResponseRedirect(reverse("console:person", args=[found.pk]) + "#account")


@require_safe
@staff_required(*RECORD_ROLES)
def organisation(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_organisation_for_staff(pk)
    views = looked_at(found, request)
    services = list(found.services.prefetch_related("identifiers").order_by("kind", "label"))
    return render(
        request,
        "console/organisation.html",
        {
            "organisation": found,
            "fields": personal_fields(found),
            "roles": role_lines(
                found.roles.select_related("person").order_by(
                    "person__last_name", "person__first_name", "person_id", "kind"
                ),
                by="person",
            ),
            "services": services,
            "history": history_copies(found),
            "journal": journal_rows(
                {label(Organisation): {found.pk}}, whole_addresses=role_of(request.user) in FULL_ADDRESS_ROLES
            ),
            "views": views,
            "section": "search",
        },
    )
