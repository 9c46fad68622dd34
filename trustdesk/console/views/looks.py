"""Who on the staff looked at which records, for those who oversee the staff: each member's looks over the
last 30 days on the dashboard (``looks_by_staff``), and one member's looks, a page of them at a time
(``staff_looks``). The looks themselves are journaled where they happen (``looked_at`` and the search in
``records``, the admin's ``LooksJournaled``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count, Q, Value
from django.db.models.functions import Concat
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from trustdesk.accounts.access import staff_required
from trustdesk.accounts.models import STAFF_ROLES, Profile
from trustdesk.console.access import OVERSIGHT_ROLES
from trustdesk.console.views.records import VIEW_ACTIONS, actor_names, looks_url
from trustdesk.journal.models import JournalEntry
from trustdesk.registry.datamap_ops import label
from trustdesk.registry.models import Organisation, Person
from trustdesk.registry.services import VIEWED
from trustdesk.rights.models import Request

#: How far back the dashboard counts each member of staff's looks at records, and their page lists them.
LOOKS_WINDOW = dt.timedelta(days=30)
#: Looks to a page of one member's list.
LOOKS_PAGE_SIZE = 100


def _looks(now: dt.datetime) -> Any:
    return JournalEntry.objects.filter(action__in=VIEW_ACTIONS, at__gte=now - LOOKS_WINDOW)


def looks_by_staff(now: dt.datetime) -> list[dict[str, Any]]:
    """Each member of staff's looks at records within ``LOOKS_WINDOW`` (pages opened, records seen in a
    search's results, and how many records in all), most records first, so that one who browses far more
    records than the others stands out. Each with the address of their list of looks."""
    viewed = Q(action__endswith="." + VIEWED)
    rows = list(
        _looks(now)
        .values("actor")
        .annotate(
            opened=Count("seq", filter=viewed),
            listed=Count("seq", filter=~viewed),
            records=Count(Concat("object_type", Value(":"), "object_id"), distinct=True),
        )
        .order_by("-records", "actor")
    )
    names = actor_names(row["actor"] for row in rows)
    return [
        {
            **row,
            "who": names.get(row["actor"], row["actor"]),
            "url": looks_url(row["actor"]),
        }
        for row in rows
    ]


#: Where each kind of record looked at has its page, and how the list names it.
_PAGES = {
    label(Person): "console:person",
    label(Organisation): "console:organisation",
}


def _ids(entries: list[JournalEntry], model: type[Person | Organisation | Request]) -> set[int]:
    return {int(e.object_id) for e in entries if e.object_type == label(model) and e.object_id.isdigit()}


def _record_links(entries: list[JournalEntry]) -> dict[tuple[str, str], tuple[str, str]]:
    """The number and console address of each record the entries name that is still stored: people and
    organisations by id, requests by their case number (one query per kind). An erased record has none."""
    links: dict[tuple[str, str], tuple[str, str]] = {}
    for model in (Person, Organisation):
        for pk in model.objects.filter(pk__in=_ids(entries, model)).values_list("pk", flat=True):
            links[(label(model), str(pk))] = (str(pk), reverse(_PAGES[label(model)], args=[pk]))
    for pk, reference in Request.objects.filter(pk__in=_ids(entries, Request)).values_list("pk", "reference"):
        links[(label(Request), str(pk))] = (reference, reverse("console:request", args=[reference]))
    return links


@require_safe
@staff_required(*OVERSIGHT_ROLES)
def staff_looks(request: HttpRequest, pk: int) -> HttpResponse:
    """One member of staff's looks at records over ``LOOKS_WINDOW``, newest first. The records are named by
    their kind and number (a request by its case number), not by the names they hold: this list is no look
    at them; opening one is."""
    member = get_user_model().objects.filter(pk=pk).first()  # a number out of range finds nobody: 404
    # By the user found, not by the number: a number out of range would reach the database otherwise.
    role = Profile.objects.filter(user=member).values_list("role", flat=True).first() if member else None
    if member is None or not (role in STAFF_ROLES or member.is_superuser):
        raise Http404("no member of staff with this number")
    entries = _looks(timezone.now()).filter(actor=f"user:{pk}").order_by("-seq")
    page = Paginator(entries, LOOKS_PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    links = _record_links(shown)
    kinds = {
        label(Person): Person._meta.verbose_name,
        label(Organisation): Organisation._meta.verbose_name,
        label(Request): Request._meta.verbose_name,
    }
    rows = []
    for entry in shown:
        number, url = links.get((entry.object_type, entry.object_id), (entry.object_id, ""))
        rows.append(
            {
                "at": entry.at,
                "listed": not entry.action.endswith("." + VIEWED),
                "kind": kinds.get(entry.object_type, entry.object_type),
                "number": number,
                "url": url,
            }
        )
    return render(
        request,
        "console/staff_looks.html",
        {
            "member": member,
            "role": Profile.Role(role).label if role else Profile.Role.ADMINISTRATOR.label,
            "page": page,
            "rows": rows,
            "days": LOOKS_WINDOW.days,
            "section": "dashboard",
        },
    )
