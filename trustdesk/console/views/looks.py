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
from django.utils import timezone
from django.views.decorators.http import require_safe

from trustdesk.accounts.access import staff_required
from trustdesk.accounts.models import STAFF_ROLES, Profile
from trustdesk.console.access import OVERSIGHT_ROLES
from trustdesk.console.views.records import actor_names, looks_url, stored_records
from trustdesk.journal.models import JournalEntry
from trustdesk.registry.datamap_ops import model_of
from trustdesk.registry.services import VIEWED, look_actions

#: How far back the dashboard counts each member of staff's looks at records, and their page lists them.
LOOKS_WINDOW = dt.timedelta(days=30)
#: Looks to a page of one member's list.
LOOKS_PAGE_SIZE = 100


def _looks(now: dt.datetime) -> Any:
    return JournalEntry.objects.filter(action__in=look_actions(), at__gte=now - LOOKS_WINDOW)


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
    stored = stored_records(shown)
    rows = []
    for entry in shown:
        model = model_of(entry.object_type)
        key = (entry.object_type, entry.object_id)
        number, url = stored.get(key, (entry.object_id, ""))
        rows.append(
            {
                "at": entry.at,
                "listed": not entry.action.endswith("." + VIEWED),
                "kind": model._meta.verbose_name if model is not None else entry.object_type,
                "number": number,
                "url": url,
                "stored": key in stored,
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
