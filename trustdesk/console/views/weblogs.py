"""The privacy officer's search of the web access logs (P4.4, P4.5): breach investigations.

Only the privacy officer's role reaches the page (and ``weblogs.services.search`` refuses anyone
else). The criteria travel in a POST body, never in a URL; every search, the CSV download included,
is journaled with the officer and the reason; results are never cached.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from trustdesk.accounts.access import staff_required
from trustdesk.console.access import WEBLOG_ROLES
from trustdesk.console.forms import WeblogSearchForm
from trustdesk.console.views.requests import attachment, staff_actor
from trustdesk.weblogs.services import SearchResult, search, write_hits_csv
from trustdesk.weblogs.store import WeblogsError, policy

#: Hits shown on the page; more are offered as a CSV download.
SHOWN = 500
#: Hits in one CSV download.
CSV_LIMIT = 200_000


def _language() -> str:
    return "nl" if (get_language() or "en").startswith("nl") else "en"


def _day_bounds(data: dict[str, Any]) -> tuple[dt.datetime | None, dt.datetime | None]:
    start = data.get("start")
    end = data.get("end")
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC) if start else None,
        dt.datetime.combine(end, dt.time.max, tzinfo=dt.UTC) if end else None,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required(*WEBLOG_ROLES)
def weblogs(request: HttpRequest) -> HttpResponse:
    try:
        section = policy()
    except WeblogsError:
        section = None
    form = WeblogSearchForm(request.POST if request.method == "POST" else None)
    result: SearchResult | None = None
    if section is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        start, end = _day_bounds(data)
        as_csv = request.POST.get("format") == "csv"
        try:
            result = search(
                actor=staff_actor(request),
                reason=data["reason"],
                ip=data["ip"].strip() or None,
                path=data["path"].strip() or None,
                site=data["site"].strip() or None,
                start=start,
                end=end,
                limit=CSV_LIMIT if as_csv else SHOWN + 1,
            )
        except WeblogsError as exc:
            form.add_error(None, _("The search could not be made: %(reason)s") % {"reason": exc})
        else:
            if as_csv:
                stream = io.StringIO()
                write_hits_csv(stream, result.hits, for_spreadsheets=True)
                return attachment(
                    stream.getvalue().encode("utf-8"),
                    f"weblogs-search-{result.journal_seq}.csv",
                    "text/csv; charset=utf-8",
                )
    hits = result.hits[:SHOWN] if result is not None else []
    return render(
        request,
        "console/weblogs.html",
        {
            "form": form,
            "configured": section is not None,
            "retention": section.retention.words(_language()) if section is not None else None,
            "result": result,
            "hits": hits,
            "more": result is not None and len(result.hits) > SHOWN,
            "shown": SHOWN,
            "section": "weblogs",
        },
        status=400 if form.errors else 200,
    )
