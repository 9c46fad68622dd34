"""Every URL of Trustdesk."""

from django.urls import include, path

urlpatterns = [
    path("", include("trustdesk.web.urls")),
    path("", include("trustdesk.policy.urls")),
]
