"""The customer portal: my data, corrections, downloads, requests and consents.

Every view is for customers only (``customer_required``: visitors log in, staff get 403) and works on the
signed-in customer's own registry person; requests and downloads of anybody else answer 404. Every change
goes through the services of the rights and consent apps, which write the journal.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from trustdesk.accounts import throttle
from trustdesk.accounts.access import (
    customer_required,
    person_for_user,
    sections_by_organisation,
    user_has_two_factor,
)
from trustdesk.accounts.middleware import two_factor_requirement
from trustdesk.accounts.services import user_ref
from trustdesk.consent.models import ConsentEvent
from trustdesk.consent.queries import consent_history, current_consents
from trustdesk.consent.services import ConsentError, consent_purposes, do_give_consent, do_withdraw_consent
from trustdesk.lib.languages import page_language
from trustdesk.policy.queries import version_in_effect
from trustdesk.policy.schema import LegalBasis
from trustdesk.portal import forms, queries, words
from trustdesk.registry.models import Person
from trustdesk.registry.services import Actor, IntakeError
from trustdesk.rights import clock, services
from trustdesk.rights.fulfil import do_download_for, do_fulfil, services_ending
from trustdesk.rights.models import Channel, Kind, Objection, Request, Status
from trustdesk.rights.processing import is_marketing
from trustdesk.rights.views import file_response

#: The kinds asked for on their own form; access and rectification have pages of their own.
ASKED = (Kind.ERASURE, Kind.RESTRICTION, Kind.OBJECTION, Kind.PORTABILITY)
#: The kinds the portal fulfils at once; the others wait for staff, who decide.
AT_ONCE = frozenset({Kind.ACCESS, Kind.RECTIFICATION, Kind.OBJECTION, Kind.PORTABILITY})


View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def policy_in_effect(view: View) -> View:
    """Without a policy in effect there are no purposes, deadlines or consents to show: say so (503)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except clock.NoPolicy:
            return render(request, "rights/unavailable.html", status=503)

    return cast(View, wrapped)


class NotSignedInEnough(Exception):
    """The policy verifies signed-in people by two-factor authentication, and this customer has none."""


def _sections(request: HttpRequest) -> frozenset[str]:
    """The sections of an organisation the customer may see in every one of their organisations: records
    about an organisation do not say which one, so only what each of their roles allows is shown."""
    shown: frozenset[str] | None = None
    for allowed in sections_by_organisation(request.user).values():
        shown = allowed if shown is None else shown & allowed
    return shown or frozenset()


def _my_data(request: HttpRequest, person: Person) -> list[queries.Group]:
    return queries.data_by_purpose(
        person, clock.terms(), page_language(), organisation_sections=_sections(request)
    )


def _address(request: HttpRequest) -> str | None:
    """The client's address, which the consent record keeps only as a keyed pseudonym; None when unknown."""
    address = throttle.client_address(request)
    return None if address == "0.0.0.0" else address  # noqa: S104  (what client_address gives when none)


def _person(request: HttpRequest) -> Person:
    person = person_for_user(request.user)
    if person is None:  # a customer account without a registry person: nothing of theirs to show
        raise Http404("no person is linked to this account")
    return person


def _actor(request: HttpRequest) -> Actor:
    return Actor(ref=user_ref(request.user), user=request.user)


def identity_method(request: HttpRequest) -> str:
    """How the signed-in person's identity counts for a request, as the policy's ``rights.identity`` says."""
    if user_has_two_factor(request.user):
        return "two_factor"
    if clock.terms().policy.rights.identity.signed_in == "session":
        return "session"
    raise NotSignedInEnough


def _identity_context(request: HttpRequest) -> dict[str, Any]:
    try:
        identity_method(request)
    except NotSignedInEnough:
        return {
            "needs_two_factor": True,
            "two_factor_offered": two_factor_requirement(request.user, request) != "unavailable",
        }
    return {"needs_two_factor": False}


def _open(
    request: HttpRequest,
    kind: str,
    *,
    details: str = "",
    specifics: dict[str, Any] | None = None,
) -> Request:
    """Open a request about the signed-in person, with their signed-in identity; fulfilled at once where the
    kind needs no decision of staff. One transaction: a refused fulfilment leaves no half-open request."""
    person = _person(request)
    method = identity_method(request)
    actor = _actor(request)
    with transaction.atomic():
        made = services.do_open_request(
            kind,
            channel=Channel.PORTAL,
            actor=actor,
            person=person,
            details=details,
            specifics=specifics,
            language=page_language(),
        )
        services.do_verify_identity(made, method=method, actor=actor)
        if kind in AT_ONCE:
            do_fulfil(made, actor=actor)
    made.refresh_from_db()
    return made


def _refused(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    context["needs_two_factor"] = True
    context["two_factor_offered"] = two_factor_requirement(request.user, request) != "unavailable"
    return render(request, template, context, status=403)


# --- my data ------------------------------------------------------------------------------------


@require_safe
@customer_required
@policy_in_effect
def my_data(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    groups = _my_data(request, person)
    return render(
        request,
        "portal/data.html",
        {"person": person, "groups": groups, **_identity_context(request)},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@customer_required
@policy_in_effect
def correct(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    languages = list(clock.terms().policy.languages)
    # The form validates a copy, so that the person on record changes only through the request.
    form = forms.CorrectionForm(
        request.POST if request.method == "POST" else None,
        instance=Person.objects.get(pk=person.pk),
        languages=languages,
    )
    context: dict[str, Any] = {"form": form, **_identity_context(request)}
    if request.method == "POST" and form.is_valid():
        changes = form.changes(person)
        if not changes:
            form.add_error(None, gettext("Nothing was changed: change a field first."))
        else:
            try:
                made = _open(request, Kind.RECTIFICATION, specifics={"changes": changes})
            except NotSignedInEnough:
                return _refused(request, "portal/correct.html", context)
            except (services.RequestError, IntakeError):
                form.add_error(None, gettext("The correction was refused: check the fields and try again."))
            else:
                messages.success(request, gettext("Your data was corrected."))
                return HttpResponseRedirect(reverse("portal:request", args=[made.reference]))
    return render(request, "portal/correct.html", context, status=400 if form.errors else 200)


@require_POST
@customer_required
@policy_in_effect
def download_my_data(request: HttpRequest) -> HttpResponse:
    try:
        made = _open(request, Kind.ACCESS)
    except NotSignedInEnough:
        person = _person(request)
        groups = _my_data(request, person)
        return _refused(request, "portal/data.html", {"person": person, "groups": groups})
    messages.success(request, gettext("Your data is ready to download."))
    return HttpResponseRedirect(reverse("portal:request", args=[made.reference]))


# --- other requests -----------------------------------------------------------------------------


def _objection_choices() -> list[tuple[str, str]]:
    policy = clock.terms().policy
    lang = page_language()
    choices = [(Objection.DIRECT_MARKETING, gettext("All direct marketing"))]
    for key, purpose in policy.purposes.items():
        if is_marketing(purpose) or {LegalBasis.LEGITIMATE_INTERESTS, LegalBasis.PUBLIC_TASK} & set(
            purpose.legal_basis
        ):
            choices.append((key, purpose.name.get(lang)))
    return choices


@require_http_methods(["GET", "HEAD", "POST"])
@customer_required
@policy_in_effect
def ask(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in ASKED:
        raise Http404("no such kind of request here")
    person = _person(request)
    data = request.POST if request.method == "POST" else None
    form: forms.DetailsMixin
    if kind == Kind.OBJECTION:
        form = forms.ObjectionForm(data, choices=_objection_choices())
    elif kind == Kind.RESTRICTION:
        form = forms.RestrictionForm(data)
    elif kind == Kind.PORTABILITY:
        form = forms.PortabilityForm(data)
    else:
        form = forms.ErasureForm(data)
    context: dict[str, Any] = {
        "form": form,
        "kind": kind,
        "title": words.ASK_TITLES[kind],
        "intro": words.ASK_INTROS[kind],
        "ending": [s.get_kind_display() for s in services_ending(person)] if kind == Kind.ERASURE else [],
        **_identity_context(request),
    }
    if request.method == "POST" and form.is_valid():
        specifics: dict[str, Any] = {}
        if kind == Kind.OBJECTION:
            specifics["purposes"] = list(form.cleaned_data["purposes"])
        if kind == Kind.PORTABILITY and form.cleaned_data.get("send_to"):
            specifics["send_to"] = form.cleaned_data["send_to"]
        try:
            made = _open(request, kind, details=form.cleaned_data.get("details", ""), specifics=specifics)
        except NotSignedInEnough:
            return _refused(request, "portal/ask.html", context)
        except (services.RequestError, IntakeError):
            form.add_error(None, gettext("The request was refused: check the fields and try again."))
        else:
            messages.success(request, gettext("Your request is recorded."))
            return HttpResponseRedirect(reverse("portal:request", args=[made.reference]))
    return render(request, "portal/ask.html", context, status=400 if form.errors else 200)


# --- my requests --------------------------------------------------------------------------------


@require_safe
@customer_required
@policy_in_effect
def my_requests(request: HttpRequest) -> HttpResponse:
    rows = [words.request_row(item) for item in queries.requests_of(_person(request))]
    return render(
        request,
        "portal/requests.html",
        {"rows": rows, "asks": [(kind, words.ASK_TITLES[kind]) for kind in ASKED]},
    )


@require_safe
@customer_required
@policy_in_effect
def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    person = _person(request)
    item = queries.get_request_for_customer(person, reference)
    ending: list[str] = []
    if item.status == Status.AWAITING_CONFIRMATION and item.kind == Kind.ERASURE:
        ending = [s.get_kind_display() for s in services_ending(person)]
    return render(
        request,
        "portal/request.html",
        {
            "row": words.request_row(item),
            "timeline": words.timeline(item),
            "downloads": [words.download_row(d) for d in queries.valid_downloads(item)],
            "ending": ending,
        },
    )


@never_cache
@require_safe
@customer_required
@policy_in_effect
def download(request: HttpRequest, reference: str, download_id: int) -> HttpResponseBase:
    item = queries.get_request_for_customer(_person(request), reference)
    try:
        found, content = do_download_for(item, download_id, actor=_actor(request))
    except LookupError:
        return render(
            request,
            "rights/link_error.html",
            {"message": gettext("This file does not exist, or it has expired and was deleted.")},
            status=404,
        )
    return file_response(found, content)


# --- consents -----------------------------------------------------------------------------------


def _consent_rows(person: Person) -> list[dict[str, Any]]:
    version = version_in_effect()
    declared = consent_purposes(version) if version is not None else {}
    lang = page_language()
    history: dict[str, list[ConsentEvent]] = {}
    for event in consent_history(person):
        history.setdefault(event.purpose, []).append(event)
    rows = []
    for key, state in current_consents(person).items():
        purpose = declared.get(key)
        texts = purpose.consent.text if purpose is not None and purpose.consent is not None else None
        text = ""
        if texts is not None:
            text = texts.get(lang if lang in texts.languages() else next(iter(texts.root)))
        rows.append(
            {
                "key": key,
                "name": (purpose.name.get(lang) if purpose is not None else key),
                "text": text or state.text,
                "given": state.given,
                "since": state.since,
                "may_give": purpose is not None and bool(text),
                "history": [words.consent_event_row(e) for e in reversed(history.get(key, []))],
            }
        )
    return rows


@require_http_methods(["GET", "HEAD", "POST"])
@customer_required
@policy_in_effect
def consents(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    status = 200
    if request.method == "POST":
        form = forms.ConsentForm(request.POST)
        if form.is_valid():
            purpose, action = form.cleaned_data["purpose"], form.cleaned_data["action"]
            way: dict[str, Any] = {
                "actor": _actor(request),
                "channel": "portal",
                "method": "portal",
                "ip": _address(request),
            }
            try:
                if action == "give":
                    do_give_consent(person, purpose, lang=page_language(), **way)
                    messages.success(request, gettext("Your consent is recorded."))
                else:
                    do_withdraw_consent(person, purpose, **way)
                    messages.success(request, gettext("Your consent is withdrawn."))
            except ConsentError:
                messages.error(request, gettext("This consent cannot be changed here."))
                status = 400
            else:
                return HttpResponseRedirect(reverse("portal:consents") + f"#consent-{purpose}")
        else:
            messages.error(request, gettext("This consent cannot be changed here."))
            status = 400
    return render(request, "portal/consents.html", {"rows": _consent_rows(person)}, status=status)
