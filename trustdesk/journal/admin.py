"""The journal in the staff view: a read-only list; entries are never added, changed or deleted here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from trustdesk.journal.models import JournalEntry
from trustdesk.lib.admin import ReadOnlyAdmin


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    """The list shows no payload; an entry's page does: the personal details of a change to someone's record
    (an address before and after, the browser of a log-in). Reading them is a look at that record, journaled
    as one (``registry.person.viewed``) when the record is one the data map reaches and is still stored. An
    entry without personal details (erased, none, or a look's role) is no look."""

    list_display = ("seq", "at", "actor", "action", "object_type", "object_id", "payload_state")
    list_filter = ("action", "object_type")
    search_fields = ("=object_type", "=object_id", "=actor", "action")
    ordering = ("-seq",)
    list_per_page = 100
    show_full_result_count = False

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:
            entry = self.get_object(request, unquote(object_id))
            if entry is not None:
                self._note_look_at_record(request, entry)
        return response

    def _note_look_at_record(self, request: HttpRequest, entry: JournalEntry) -> None:
        # The registry sits above the journal: imported here, when an entry's page is shown.
        from trustdesk.registry.admin import note_admin_look
        from trustdesk.registry.datamap_ops import model_of, reaches
        from trustdesk.registry.services import look_actions

        model = model_of(entry.object_type)
        if entry.payload is None or entry.action in look_actions() or model is None:
            return
        if model not in {reach.model for reach in reaches()}:
            return
        try:
            key = model._meta.pk.to_python(entry.object_id)
        except ValidationError:
            return
        record = model._default_manager.filter(pk=key).first()
        if record is not None:
            note_admin_look(request, record)
