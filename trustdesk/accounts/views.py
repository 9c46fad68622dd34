"""Account pages (overview, log-in history, log off everywhere), the customer portal's organisations,
and the console's content-access instructions. Log-in, log-off, reset, e-mail and two-factor pages
are django-allauth's, with Trustdesk's templates."""

from __future__ import annotations

from typing import Any

from allauth.usersessions.views import ListUserSessionsView
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from trustdesk.accounts import services
from trustdesk.accounts.access import (
    customer_required,
    get_organisation_for_customer,
    organisations_for_customer,
    person_for_user,
    role_of,
    sections_for_customer,
    staff_required,
    user_has_two_factor,
)
from trustdesk.accounts.forms import AccessForm, InstructionForm
from trustdesk.accounts.middleware import two_factor_requirement
from trustdesk.accounts.models import ContentAccessInstruction, Profile
from trustdesk.accounts.words import event_name
from trustdesk.journal.models import JournalEntry
from trustdesk.lib.browsers import browser_name
from trustdesk.lib.languages import page_language
from trustdesk.policy import wording
from trustdesk.policy.queries import version_for_request
from trustdesk.registry.models import Organisation, Person

#: The journal's actions shown in a user's log-in history.
HISTORY_ACTIONS = (
    "accounts.logged_in",
    "accounts.logged_out",
    "accounts.login_failed",
    "accounts.locked",
    "accounts.unlocked",
    "accounts.failures_reset",
    "accounts.password_reset",
    "accounts.sessions_ended",
    "accounts.authenticator_added",
    "accounts.authenticator_removed",
    "accounts.authenticator_reset",
    "accounts.two_factor_removed",
    "accounts.two_factor_removal_asked",
    "accounts.two_factor_removal_kept",
    "accounts.two_factor_removal_withdrawn",
    "accounts.two_factor_removal_approved",
)
HISTORY_LENGTH = 100


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    role = role_of(request.user)
    removal = services.open_removal(request.user)
    return render(
        request,
        "accounts/home.html",
        {
            "role": role,
            "role_label": Profile.Role(role).label if role else "",
            "is_customer": role == Profile.Role.CUSTOMER,
            "is_staff_member": role is not None and role != Profile.Role.CUSTOMER,
            "has_two_factor": user_has_two_factor(request.user),
            "two_factor": two_factor_requirement(request.user, request),
            "removal": removal,
            "removal_to_approve": removal is not None and services.awaits_approval(removal),
        },
    )


@require_POST
@login_required
def keep_two_factor(request: HttpRequest) -> HttpResponse:
    """The owner stops staff's removal of their two-factor authentication before it is due."""
    if services.do_keep_two_factor(request.user) is not None:
        messages.success(
            request,
            gettext(
                "Two-factor authentication stays on your account. If you did not ask us to remove it, someone "
                "else may have: we recommend that you choose a new password."
            ),
        )
    else:
        messages.info(request, gettext("No removal of your two-factor authentication is waiting."))
    return HttpResponseRedirect(reverse("accounts:home"))


@require_safe
@login_required
def history(request: HttpRequest) -> HttpResponse:
    entries = JournalEntry.objects.filter(
        object_type="auth.user", object_id=str(request.user.pk), action__in=HISTORY_ACTIONS
    ).order_by("-seq")[:HISTORY_LENGTH]
    rows = [
        {
            "at": entry.at,
            "action": entry.action,
            "label": event_name(entry.action, entry.payload),
            "reason": (entry.payload or {}).get("reason", ""),
            "ip": (entry.payload or {}).get("ip", ""),
            "browser": browser_name((entry.payload or {}).get("user_agent")),
        }
        for entry in entries
    ]
    return render(request, "accounts/history.html", {"rows": rows})


class OpenSessions(ListUserSessionsView):
    """allauth's list of open sessions (``/account/sessions/``), without those past the session limit:
    they are ended first, each journaled as a log-off."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        services.do_end_outlived_sessions(self.request.user)
        context = super().get_context_data(**kwargs)
        for session in context["sessions"]:
            session.browser = browser_name(session.user_agent)
        return context


open_sessions = OpenSessions.as_view()


@require_POST
@login_required
def log_off_everywhere(request: HttpRequest) -> HttpResponse:
    user = request.user
    services.do_log_off_everywhere(user, actor=services.user_ref(user))
    logout(request)
    messages.success(request, gettext("You are logged off on every device."))
    return HttpResponseRedirect(reverse("account_login"))


@require_safe
@customer_required
def portal(request: HttpRequest) -> HttpResponse:
    organisations = list(organisations_for_customer(request.user))
    return render(
        request,
        "accounts/portal.html",
        {"organisations": organisations, "person": person_for_user(request.user)},
    )


@require_safe
@customer_required
def portal_organisation(request: HttpRequest, org_id: int) -> HttpResponse:
    organisation = get_organisation_for_customer(request, org_id)
    sections = sections_for_customer(request.user, organisation)
    context: dict[str, Any] = {"organisation": organisation, "sections": sections}
    if "contacts" in sections:
        context["roles"] = organisation.roles.select_related("person").order_by("kind", "person_id")
    if "services" in sections:
        context["services"] = organisation.services.order_by("kind", "label")
    if "invoices" in sections:
        context["invoices"] = organisation.invoices.order_by("-issued_on")[:50]
    if "services" in sections:
        context["disclosures"] = _disclosures(request, organisation)
    return render(request, "accounts/organisation.html", context)


#: The organisation page lists this many disclosures, the latest first.
DISCLOSURES_SHOWN = 100


def _disclosures(request: HttpRequest, organisation: Organisation) -> list[dict[str, Any]]:
    """What was passed on to whom (P0.5, P4.1), named as the policy in effect names it."""
    version = version_for_request(request)
    policy = version.loaded.policy if version is not None else None
    lang = page_language()
    rows = []
    for item in organisation.disclosures.select_related("service").order_by("-disclosed_at", "-pk")[
        :DISCLOSURES_SHOWN
    ]:
        recipient = policy.recipients.get(item.recipient) if policy is not None else None
        rows.append(
            {
                "at": item.disclosed_at,
                "recipient": recipient.display_name(lang) if recipient is not None else item.recipient,
                "service": item.service.label if item.service is not None else "",
                "categories": [
                    wording.term_name(policy, "data_categories", key, lang) if policy is not None else key
                    for key in item.categories
                ],
                "public": item.public,
                "where_public": (
                    recipient.public_disclosure.get(lang)
                    if recipient is not None and recipient.public_disclosure is not None
                    else ""
                ),
            }
        )
    return rows


@require_safe
@staff_required(Profile.Role.PRIVACY_OFFICER, Profile.Role.SUPPORT, Profile.Role.ADMINISTRATOR)
def instructions(request: HttpRequest) -> HttpResponse:
    rows = (
        ContentAccessInstruction.objects.select_related("organisation")
        .prefetch_related("accesses")
        .order_by("-valid_from")[:200]
    )
    return render(request, "accounts/instructions.html", {"instructions": rows})


CONSOLE_ROLES = (Profile.Role.PRIVACY_OFFICER, Profile.Role.SUPPORT, Profile.Role.ADMINISTRATOR)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required(*CONSOLE_ROLES)
def instruction_new(request: HttpRequest) -> HttpResponse:
    form = InstructionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        organisation = Organisation.objects.filter(pk=data["organisation"]).first()
        given_by = Person.objects.filter(
            email__iexact=data["given_by"], roles__organisation=organisation
        ).first()
        if organisation is None:
            form.add_error("organisation", gettext("There is no organisation with this number."))
        elif given_by is None:
            form.add_error("given_by", gettext("No contact of this organisation has this e-mail address."))
        else:
            try:
                item = services.do_record_instruction(
                    organisation=organisation,
                    given_by=given_by,
                    scope=data["scope"],
                    valid_from=data["valid_from"],
                    valid_until=data["valid_until"],
                    channel=data["channel"],
                    recorded_by=request.user,
                )
            except services.AccountError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, gettext("The instruction is recorded."))
                return HttpResponseRedirect(reverse("console:instruction", args=[item.pk]))
    return render(
        request, "accounts/instruction_new.html", {"form": form}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required(*CONSOLE_ROLES)
def instruction(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ContentAccessInstruction.objects.select_related("organisation"), pk=pk)
    form = AccessForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_record_content_access(item, actor=request.user, what=form.cleaned_data["what"])
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("The access is recorded against the instruction."))
            return HttpResponseRedirect(reverse("console:instruction", args=[item.pk]))
    return render(
        request,
        "accounts/instruction.html",
        {"instruction": item, "accesses": item.accesses.order_by("-at"), "form": form},
        status=400 if form.errors else 200,
    )
