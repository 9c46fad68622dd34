"""Every URL of Trustdesk."""

from django.contrib import admin
from django.urls import include, path

from trustdesk.api.api import api

urlpatterns = [
    path("", include("trustdesk.web.urls")),
    path("", include("trustdesk.policy.urls")),
    path("", include("trustdesk.rights.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
