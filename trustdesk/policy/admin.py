from django.contrib import admin
from django.http import HttpRequest

from trustdesk.policy.models import PolicyVersion


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin[PolicyVersion]):
    """Published versions are evidence: the admin shows them and changes nothing."""

    list_display = ("number", "effective_from", "published_at", "published_by", "sha256")
    readonly_fields = (
        "number",
        "sha256",
        "text",
        "source_name",
        "published_at",
        "published_by",
        "effective_from",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PolicyVersion | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PolicyVersion | None = None) -> bool:
        return False
