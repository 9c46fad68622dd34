"""The staff view of the registry for now: every record read-only, with its history copies.

Nothing is added, changed or deleted here: changes go through the service functions, which
write the journal. Search covers names, e-mail addresses, domain names and IP addresses.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from trustdesk.lib import admin as lib_admin
from trustdesk.lib.datamap import history_base
from trustdesk.registry import models as registry
from trustdesk.registry.services import Actor, do_note_listing, do_note_view

#: What staff search by, per model: names, e-mail addresses, domain names, IP addresses, references.
SEARCH: dict[type[models.Model], tuple[str, ...]] = {
    registry.Person: ("first_name", "last_name", "email", "external_ref"),
    registry.Organisation: ("name", "email", "website", "external_ref"),
    registry.Role: ("person__first_name", "person__last_name", "person__email", "organisation__name"),
    registry.Service: ("label", "identifiers__value", "organisation__name", "external_ref"),
    registry.ServiceIdentifier: ("value", "service__organisation__name"),
    registry.Invoice: ("number", "billing_name", "organisation__name", "external_ref"),
    registry.InvoiceLine: ("invoice__number", "invoice__billing_name"),
    registry.UsageRecord: ("service__label", "service__identifiers__value"),
    registry.Interaction: ("person__first_name", "person__last_name", "person__email", "organisation__name"),
    registry.Disclosure: ("recipient", "organisation__name", "service__identifiers__value"),
}

#: Columns of the list, per model (the first is the link to the record).
COLUMNS: dict[type[models.Model], tuple[str, ...]] = {
    registry.Person: ("__str__", "first_name", "last_name", "email", "kind", "updated_at"),
    registry.Organisation: ("__str__", "name", "kind", "email", "status", "updated_at"),
    registry.Role: ("__str__", "person", "organisation", "kind", "since", "until"),
    registry.Service: ("__str__", "organisation", "kind", "label", "starts_on", "ends_on"),
    registry.ServiceIdentifier: ("__str__", "service", "kind", "value", "assigned_from", "assigned_until"),
    registry.Invoice: ("__str__", "number", "organisation", "issued_on", "total", "currency"),
    registry.InvoiceLine: ("__str__", "invoice", "description", "quantity", "unit_price"),
    registry.UsageRecord: ("__str__", "service", "metric", "period_start", "period_end", "quantity"),
    registry.Interaction: ("__str__", "person", "organisation", "direction", "occurred_at", "subject"),
    registry.Disclosure: ("__str__", "organisation", "recipient", "disclosed_at", "public"),
}


def _admin_actor(request: HttpRequest) -> Actor:
    from trustdesk.accounts.services import user_ref

    return Actor(ref=user_ref(request.user), user=request.user)


def _admin_role(request: HttpRequest) -> str:
    from trustdesk.accounts.access import role_of

    return role_of(request.user) or "administrator"  # the admin is the administrators' alone


def note_admin_look(request: HttpRequest, record: models.Model) -> None:
    """Journal that the signed-in administrator looked at the record in the admin (``do_note_view``)."""
    do_note_view(record, actor=_admin_actor(request), role=_admin_role(request))


class LooksJournaled(admin.ModelAdmin[Any]):
    """The admin is no way around the record of looks: the admin of every record about a person or an
    organisation (every model the data map reaches, in any app) journals its looks as the console does. A
    record's page, its history page or one history copy as ``<label>.viewed``, each record a list's page shows
    as ``<label>.listed`` (``do_note_view``, ``do_note_listing``). The administrators are watched as support
    is. A list whose columns hold no one's data (requests: reference, kind, status) sets
    ``listing_is_a_look`` off. A test holds every registered admin of such a model to this."""

    listing_is_a_look = True

    def _note_view(self, request: HttpRequest, object_id: str, response: HttpResponse) -> HttpResponse:
        if response.status_code == 200:
            shown = self.get_object(request, unquote(object_id))
            if shown is not None:
                note_admin_look(request, shown)
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        return self._note_view(request, object_id, response)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        # The admin's own history page, or django-simple-history's list of copies: both name the record.
        response = super().history_view(request, object_id, extra_context)
        return self._note_view(request, object_id, response)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", None) or {}
        if self.listing_is_a_look and response.status_code == 200 and "cl" in changelist:
            do_note_listing(
                list(changelist["cl"].result_list), actor=_admin_actor(request), role=_admin_role(request)
            )
        return response


class ReadOnlyAdmin(lib_admin.ReadOnlyAdmin):
    """List and detail, nothing else; 50 records to a page."""

    list_per_page = 50


class ReadOnlyHistoryAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """List, detail and the history copies, nothing else."""

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        # django-simple-history looks the history up by the id as it stands in the address: one that is no
        # id of the model ('abc' for a number) raised ValueError, a 500. It names no record: 404.
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404("no such record") from None
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        # One history copy, as its form: a look at the record as it was.
        response = super().history_form_view(request, object_id, version_id, extra_context)
        return self._note_view(request, object_id, response) if isinstance(self, LooksJournaled) else response


def _register() -> None:
    for model in sorted(SEARCH, key=lambda m: m._meta.model_name or ""):
        if history_base(model) is not None or admin.site.is_registered(model):
            continue
        fields = {f.name for f in model._meta.concrete_fields}
        filters = [name for name in ("kind", "source_kind", "channel") if name in fields]
        options = {
            "search_fields": SEARCH[model],
            "list_display": COLUMNS[model],
            "list_filter": filters,
            "__module__": __name__,
        }
        # A model without history copies (invoice lines, usage records) has the admin's own history page.
        base = (
            ReadOnlyHistoryAdmin
            if hasattr(model._meta, "simple_history_manager_attribute")
            else ReadOnlyAdmin
        )
        admin_class = type(f"{model.__name__}Admin", (LooksJournaled, base), options)
        admin.site.register(model, admin_class)


_register()
