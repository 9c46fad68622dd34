"""The request queue, a request's page with its decisions, staff entry, and the request's files.

Every action is a POST calling a rights service; what the service refuses (``RequestError``,
``IntakeError``) is shown on the request's page with the form as it was filled in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import RFC3986_SUBDELIMS, content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from trustdesk.accounts.access import role_of, staff_required
from trustdesk.accounts.services import user_ref
from trustdesk.console import labels
from trustdesk.console.access import (
    DECISION_ROLES,
    REQUEST_ROLES,
    get_person_for_staff,
    get_request_for_staff,
)
from trustdesk.console.forms import (
    AnnounceLiftForm,
    EmptyForm,
    EntryForm,
    ExtendForm,
    HandledForm,
    LiftForm,
    NoteForm,
    ObjectionForm,
    PersonLookupForm,
    QueueFilterForm,
    RefuseForm,
    VerifyForm,
    restriction_of,
)
from trustdesk.console.views.records import actor_names, find_people, looked_at
from trustdesk.lib import markup
from trustdesk.registry.models import Person
from trustdesk.registry.services import Actor, IntakeError
from trustdesk.rights import clock, queries, services
from trustdesk.rights import fulfil as fulfilment
from trustdesk.rights.models import Download, Objection, Request, Restriction, Status

#: Requests on one page of the queue: the most urgent fit on the first.
QUEUE_PAGE_SIZE = 50


def staff_actor(request: HttpRequest) -> Actor:
    return Actor(ref=user_ref(request.user), user=request.user)


#: The columns of a request the queue shows; the other columns (the request's text, its specifics) are not read.
QUEUE_COLUMNS = ("reference", "kind", "status", "channel", "received_on", "due_on", "mail_failed_at")

#: One line of the queue, written out here rather than by the template engine per cell (50 lines a page);
#: ``markup.fill`` escapes every value.
_ROW_HTML = (
    '<tr><td><a href="{}">{}</a></td><td><span class="{}">{}</span></td><td>{}</td>'
    '<td><span class="{}">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>'
)
_UNSENT = _("e-mail not sent")

#: The same line for a request with an e-mail not sent: a mark after its status.
_ROW_HTML_UNSENT = _ROW_HTML.replace(
    '<span class="{}">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>',
    '<span class="{}">{}</span> <span class="tone tone-red">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>',
)


def _row(
    item: Request, today: dt.date, request_url: str | None = None, said: dict[int, str] | None = None
) -> dict[str, Any]:
    """What one line of the queue shows, ready to print: the template only places ``html``. With
    ``request_url`` (the request page's URL reversed with :data:`_REFERENCE_MARK`), no reverse per line;
    with ``said``, each label is translated once per page (a dict kept for one request, in its language)."""
    said = {} if said is None else said

    def say(label: str | Promise) -> str:
        if id(label) not in said:
            said[id(label)] = str(label)
        return said[id(label)]

    url = (
        request_url.replace(_REFERENCE_MARK, quote(item.reference, safe=RFC3986_SUBDELIMS + "/~:@"))
        if request_url is not None
        else reverse("console:request", args=[item.reference])
    )
    row: dict[str, Any] = {
        "request": item,
        "reference": item.reference,
        "url": url,
        "kind": labels.KIND[item.kind],
        "status": labels.STATUS[item.status],
        "urgency": labels.urgency_badge(clock.urgency(item, today=today)),
        "received": item.received_on.isoformat(),
        "due": item.due_on.isoformat(),
        "channel": labels.CHANNEL[item.channel],
    }
    cells = [
        row["url"],
        row["reference"],
        row["urgency"].css,
        say(row["urgency"].label),
        say(row["kind"]),
        row["status"].css,
        say(row["status"].label),
    ]
    if item.mail_failed_at is not None:
        row["html"] = markup.fill(
            _ROW_HTML_UNSENT, *cells, say(_UNSENT), row["received"], row["due"], say(row["channel"])
        )
    else:
        row["html"] = markup.fill(_ROW_HTML, *cells, row["received"], row["due"], say(row["channel"]))
    return row


#: Stands for the case number in the request page's URL, reversed once per queue page; each line's case
#: number takes its place, quoted as ``reverse`` quotes it.
_REFERENCE_MARK = "REFERENCE-MARK"


def _filters(chosen: dict[str, Any]) -> str:
    """The chosen filters as a query string for the page links (``kind=erasure&closed=on``), page left out."""
    kept = QueryDict(mutable=True)
    for name in ("status", "kind"):
        if chosen.get(name):
            kept[name] = chosen[name]
    for flag in ("closed", "unsent"):
        if chosen.get(flag):
            kept[flag] = "on"
    return kept.urlencode()


@require_safe
@staff_required(*REQUEST_ROLES)
def queue(request: HttpRequest) -> HttpResponse:
    filters = request.GET.copy()
    filters.pop("page", None)
    form = QueueFilterForm(filters or None)
    chosen: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    include_closed, kind, status = bool(chosen.get("closed")), chosen.get("kind"), chosen.get("status")
    unsent = bool(chosen.get("unsent"))
    found = queries.queue_queryset(
        include_closed=include_closed, kind=kind or None, status=status or None, unsent=unsent
    )
    today = timezone.localdate()
    counts = queries.queue_counts(today)
    paginator = Paginator(found.only(*QUEUE_COLUMNS), QUEUE_PAGE_SIZE)
    if not (include_closed or kind or status or unsent):
        # Unfiltered, the queue is the open requests the counts have just counted (the same condition).
        paginator.count = counts.open
    page = paginator.get_page(request.GET.get("page"))
    request_url = reverse("console:request", args=[_REFERENCE_MARK])
    said: dict[int, str] = {}
    return render(
        request,
        "console/queue.html",
        {
            "form": form,
            "page": page,
            "rows": [_row(item, today, request_url, said) for item in page.object_list],
            "counts": counts,
            "filters": _filters(chosen),
            "section": "requests",
        },
        status=400 if form.errors else 200,
    )


# --- a request's page and its actions ---------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    title: str | Promise
    button: str | Promise
    form: type[forms.Form]
    roles: tuple[str, ...]
    #: Whether the action is offered for the request as it stands (it is refused anyway when not).
    offered: Callable[[Request], bool]
    run: Callable[[HttpRequest, Request, forms.Form], str]


def _ask_identity(http: HttpRequest, item: Request, form: forms.Form) -> str:
    services.do_ask_identity(item, actor=staff_actor(http), note=form.cleaned_data["note"])
    return gettext("A link to confirm identity is sent; the clock stops until it is confirmed.")


def _send_link(http: HttpRequest, item: Request, form: forms.Form) -> str:
    services.do_send_link_again(item, actor=staff_actor(http), note=form.cleaned_data["note"])
    return gettext("A new link is sent; the earlier ones stay valid until they expire.")


def _mail_handled(http: HttpRequest, item: Request, form: forms.Form) -> str:
    services.do_mail_handled(item, actor=staff_actor(http), note=form.cleaned_data["note"])
    return gettext("Recorded how the person was told; the request is no longer marked.")


def _verify(http: HttpRequest, item: Request, form: forms.Form) -> str:
    data = form.cleaned_data
    services.do_verify_identity(item, method=data["method"], note=data["note"], actor=staff_actor(http))
    return gettext("Identity is recorded; the request is in progress.")


def _withdraw(http: HttpRequest, item: Request, form: forms.Form) -> str:
    services.do_withdraw_request(item, actor=staff_actor(http), note=form.cleaned_data["note"])
    return gettext("The request is recorded as withdrawn.")


def _extend(http: HttpRequest, item: Request, form: forms.Form) -> str:
    data = form.cleaned_data
    services.do_extend(item, by=data["by"], reason=data["reason"], actor=staff_actor(http))
    return gettext("The deadline is extended; the person is told why.")


def _refuse(http: HttpRequest, item: Request, form: forms.Form) -> str:
    data = form.cleaned_data
    services.do_refuse(item, ground=data["ground"], reasons=data["reasons"], actor=staff_actor(http))
    return gettext("The request is refused; the person is told the ground and the reasons.")


def _fulfil(http: HttpRequest, item: Request, form: forms.Form) -> str:
    done = fulfilment.do_fulfil(item, actor=staff_actor(http))
    if done.status == Status.AWAITING_CONFIRMATION:
        return gettext("Erasure ends a service: the person is asked to confirm first.")
    return gettext("The request is fulfilled; the answer is sent.")


def _confirm_erasure(http: HttpRequest, item: Request, form: forms.Form) -> str:
    fulfilment.do_confirm_erasure(item, actor=staff_actor(http))
    return gettext("The confirmation is recorded and the data is erased.")


def _objection_of(item: Request, form: forms.Form) -> Objection:
    found = Objection.objects.filter(pk=form.cleaned_data["objection"], request=item).first()
    if found is None:
        raise services.RequestError(gettext("this objection is not one of this request's"))
    return found


def _decide_objection(http: HttpRequest, item: Request, form: forms.Form) -> str:
    data = form.cleaned_data
    fulfilment.do_decide_objection(
        _objection_of(item, form),
        upheld=data["decision"] == "upheld",
        reasons=data["reasons"],
        actor=staff_actor(http),
    )
    return gettext("The decision on the objection is recorded.")


def _restriction(item: Request, form: forms.Form) -> Restriction:
    found = restriction_of(form, item.person_id)
    if found is None:
        raise services.RequestError(gettext("this restriction is not one of this request's person"))
    return found


def _announce_lift(http: HttpRequest, item: Request, form: forms.Form) -> str:
    fulfilment.do_announce_lift(
        _restriction(item, form), reason=form.cleaned_data["reason"], actor=staff_actor(http)
    )
    return gettext("The person is told that the restriction will be lifted.")


def _lift(http: HttpRequest, item: Request, form: forms.Form) -> str:
    fulfilment.do_lift_restriction(_restriction(item, form), actor=staff_actor(http))
    return gettext("The restriction is lifted.")


def _open(item: Request) -> bool:
    return item.is_open


ACTIONS: dict[str, Action] = {
    "ask-identity": Action(
        _("Ask for identity"),
        _("Send a link to confirm identity"),
        NoteForm,
        REQUEST_ROLES,
        lambda r: r.status == Status.RECEIVED,
        _ask_identity,
    ),
    "verify": Action(
        _("Record an identity check"),
        _("Record the identity check"),
        VerifyForm,
        REQUEST_ROLES,
        lambda r: r.status in (Status.RECEIVED, Status.AWAITING_IDENTITY),
        _verify,
    ),
    "fulfil": Action(
        _("Fulfil"),
        _("Fulfil the request"),
        EmptyForm,
        DECISION_ROLES,
        lambda r: r.status == Status.IN_PROGRESS,
        _fulfil,
    ),
    "confirm-erasure": Action(
        _("The person confirmed the erasure otherwise"),
        _("Record the confirmation and erase"),
        EmptyForm,
        DECISION_ROLES,
        lambda r: r.status == Status.AWAITING_CONFIRMATION,
        _confirm_erasure,
    ),
    "extend": Action(
        _("Extend the deadline"),
        _("Extend"),
        ExtendForm,
        DECISION_ROLES,
        lambda r: r.is_open and not r.extended_by,
        _extend,
    ),
    "refuse": Action(_("Refuse"), _("Refuse the request"), RefuseForm, DECISION_ROLES, _open, _refuse),
    "withdraw": Action(
        _("The person withdrew the request"),
        _("Record the withdrawal"),
        NoteForm,
        REQUEST_ROLES,
        _open,
        _withdraw,
    ),
    "send-link": Action(
        _("Send the link again"),
        _("Send a new link"),
        NoteForm,
        REQUEST_ROLES,
        lambda r: r.status in (Status.AWAITING_IDENTITY, Status.AWAITING_CONFIRMATION),
        _send_link,
    ),
    "mail-handled": Action(
        _("The person was told another way"),
        _("Record how the person was told"),
        HandledForm,
        REQUEST_ROLES,
        lambda r: r.mail_failed_at is not None,
        _mail_handled,
    ),
    "decide-objection": Action(
        _("Decide an objection"),
        _("Record the decision"),
        ObjectionForm,
        DECISION_ROLES,
        lambda r: False,  # shown per pending objection
        _decide_objection,
    ),
    "announce-lift": Action(
        _("Announce the lifting of the restriction"),
        _("Tell the person"),
        AnnounceLiftForm,
        DECISION_ROLES,
        lambda r: False,  # shown per restriction
        _announce_lift,
    ),
    "lift": Action(
        _("Lift the restriction"),
        _("Lift it"),
        LiftForm,
        DECISION_ROLES,
        lambda r: False,  # shown per restriction
        _lift,
    ),
}


def _detail_context(
    http: HttpRequest, item: Request, *, failed: str = "", failed_form: forms.Form | None = None
) -> dict[str, Any]:
    role = role_of(http.user)
    actions = []
    for name, action in ACTIONS.items():
        if role not in action.roles or not action.offered(item):
            continue
        shown = failed_form if name == failed and failed_form is not None else action.form(prefix=name)
        actions.append({"name": name, "action": action, "form": shown})
    may_decide = role in DECISION_ROLES
    objections = []
    for objection in Objection.objects.filter(request=item).order_by("pk"):
        form: forms.Form | None = None
        if may_decide and objection.decision == Objection.Decision.PENDING:
            if (
                failed == "decide-objection"
                and failed_form is not None
                and _names(failed_form, "objection", objection.pk)
            ):
                form = failed_form
            else:
                form = ObjectionForm(prefix="decide-objection", initial={"objection": objection.pk})
        objections.append(
            {"objection": objection, "decision": labels.DECISION[objection.decision], "form": form}
        )
    restrictions = []
    for restriction in Restriction.objects.filter(request=item).order_by("pk"):
        announce: forms.Form | None = None
        lift: forms.Form | None = None
        if may_decide and restriction.lifted_at is None:
            if (
                failed == "announce-lift"
                and failed_form is not None
                and _names(failed_form, "restriction", restriction.pk)
            ):
                announce = failed_form
            else:
                announce = AnnounceLiftForm(prefix="announce-lift", initial={"restriction": restriction.pk})
            if restriction.lift_notice_at is not None:
                if (
                    failed == "lift"
                    and failed_form is not None
                    and _names(failed_form, "restriction", restriction.pk)
                ):
                    lift = failed_form
                else:
                    lift = LiftForm(prefix="lift", initial={"restriction": restriction.pk})
        restrictions.append({"restriction": restriction, "announce": announce, "lift": lift})
    timeline = list(item.events.order_by("at", "id"))
    names = actor_names(event.actor for event in timeline)
    events = [
        {
            "event": event,
            "label": labels.event_label(event.action),
            "who": names.get(event.actor, event.actor),
        }
        for event in timeline
    ]
    unsent = []
    if item.mail_failed_at is not None:
        # The e-mails not sent since staff last recorded how the person was told.
        for event in queries.unsent_since_handled(timeline):
            template, _sep, why = event.note.partition(": ")
            unsent.append({"at": event.at, "what": labels.mail_label(template), "why": why})
    downloads = (
        [{"download": d, "label": d.get_format_display()} for d in item.downloads.order_by("pk")]
        if may_decide
        else []
    )
    return {
        "item": item,
        "row": _row(item, timezone.localdate()),
        "identity": labels.IDENTITY.get(item.identity_method, ""),
        "ground": labels.GROUND.get(item.refusal_ground, ""),
        "events": events,
        "unsent": unsent,
        "actions": actions,
        "failed": failed,
        "objections": objections,
        "restrictions": restrictions,
        "downloads": downloads,
        "may_decide": may_decide,
        "section": "requests",
    }


def _names(form: forms.Form, field: str, pk: int) -> bool:
    return bool(form.is_bound and str(form.data.get(form.add_prefix(field), "")) == str(pk))


@require_safe
@staff_required(*REQUEST_ROLES)
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    item = get_request_for_staff(reference)
    return render(
        request, "console/request.html", {**_detail_context(request, item), "views": looked_at(item, request)}
    )


@staff_required(*REQUEST_ROLES)
@require_POST
def act(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    item = get_request_for_staff(reference)
    chosen = ACTIONS.get(action)
    if chosen is None:
        raise Http404("no such action")
    if role_of(request.user) not in chosen.roles:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("this decision is for other staff roles")
    form = chosen.form(request.POST, prefix=action)
    if form.is_valid():
        try:
            message = chosen.run(request, item, form)
        except (services.RequestError, clock.NoPolicy) as exc:
            form.add_error(None, str(exc))
        except IntakeError as exc:
            for field, problems in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, message)
            return HttpResponseRedirect(reverse("console:request", args=[item.reference]))
    item.refresh_from_db()
    context = _detail_context(request, item, failed=action, failed_form=form)
    if not _shown(context, form):
        # Not offered as things stand: the refusal is shown with the form as it was, so nothing typed is lost.
        context["actions"].insert(0, {"name": action, "action": chosen, "form": form})
    return render(request, "console/request.html", context, status=400)


def _shown(context: dict[str, Any], form: forms.Form) -> bool:
    return (
        any(a["form"] is form for a in context["actions"])
        or any(o["form"] is form for o in context["objections"])
        or any(form in (r["announce"], r["lift"]) for r in context["restrictions"])
    )


# --- files ------------------------------------------------------------------------------------------

FILE_NAMES = {
    Download.Format.REPORT_HTML: ("report.html", "text/html; charset=utf-8"),
    Download.Format.DATA_JSON: ("data.json", "application/json"),
    Download.Format.PORTABLE_JSON: ("portable.json", "application/json"),
    Download.Format.PORTABLE_CSV: ("portable-csv.zip", "application/zip"),
}


def attachment(content: bytes, filename: str, mimetype: str) -> HttpResponse:
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@staff_required(*DECISION_ROLES)
def download(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    item = get_request_for_staff(reference)
    found = Download.objects.filter(pk=pk, request=item).first()
    if found is None:
        raise Http404("no such file")
    try:
        content = fulfilment.do_open_download_as_staff(found, actor=staff_actor(request))
    except LookupError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("console:request", args=[item.reference]))
    filename, mimetype = FILE_NAMES[Download.Format(found.format)]
    return attachment(content, f"{item.reference}-{filename}", mimetype)


@require_safe
@staff_required(*REQUEST_ROLES)
def original(request: HttpRequest, reference: str) -> HttpResponse:
    item = get_request_for_staff(reference)
    try:
        content = fulfilment.do_open_original(item, actor=staff_actor(request))
    except (LookupError, FileNotFoundError):
        raise Http404("no original") from None
    name = (item.original.name or "original").rsplit("/", 1)[-1]
    return attachment(content, name, "application/octet-stream")


# --- staff entry -----------------------------------------------------------------------------------


#: The prefix of the person look-up's fields: a POST that holds them is a look-up, not an entry.
LOOKUP_PREFIX = "lookup"


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required(*REQUEST_ROLES)
def entry(request: HttpRequest) -> HttpResponse:
    """The entry form, and the look-up of the person it is about.

    The look-up is a POST of its own form (with its CSRF token), as the console's search is: names and
    e-mail addresses never stand in a URL. Its answer is this page with the people found; choosing one
    leads to ``?person=<id>``, the only thing of the person a URL holds. A query string ``q`` is ignored.
    """
    chosen: Person | None = None
    person_id = request.POST.get("person") or request.GET.get("person")
    if person_id:
        try:
            chosen = get_person_for_staff(int(person_id))
        except ValueError:
            raise Http404("no such person") from None
    looking_up = request.method == "POST" and f"{LOOKUP_PREFIX}-q" in request.POST
    entering = request.method == "POST" and not looking_up
    lookup = PersonLookupForm(request.POST if looking_up else None, prefix=LOOKUP_PREFIX)
    found = find_people(lookup.cleaned_data["q"].strip()) if lookup.is_valid() else []
    if entering:
        form = EntryForm(request.POST, request.FILES)
    else:
        form = EntryForm(initial={"person": chosen.pk if chosen else None})
    status = 400 if lookup.errors else 200
    if entering:
        if form.is_valid():
            data = form.cleaned_data
            upload = request.FILES.get("original")
            try:
                made = services.do_open_request(
                    data["kind"],
                    channel=data["channel"],
                    actor=staff_actor(request),
                    email=data["email"],
                    person=chosen,
                    details=data["details"],
                    specifics=form.specifics(),
                    language=data["language"] or None,
                    original=upload,
                )
            except IntakeError as exc:
                for field, problems in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            except clock.NoPolicy as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, gettext("Request %(reference)s is recorded.") % {"reference": made.reference}
                )
                return HttpResponseRedirect(reverse("console:request", args=[made.reference]))
        status = 400
        if request.FILES.get("original") and "original" not in form.errors:
            form.add_error("original", gettext("Choose the file again: a browser does not keep it."))
    return render(
        request,
        "console/entry.html",
        {
            "form": form,
            "chosen": chosen,
            "lookup": lookup,
            "searched": lookup.is_valid(),
            "found": found,
            "section": "entry",
        },
        status=status,
    )
