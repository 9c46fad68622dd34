"""Every URL of Trustdesk."""

from typing import Any

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path

from trustdesk.accounts.urls import console_urlpatterns, portal_urlpatterns
from trustdesk.api.api import api
from trustdesk.console.urls import urlpatterns as console_pages
from trustdesk.portal.urls import urlpatterns as portal_pages

# The admin logs in through allauth's page: the same lock-out, throttling and two-factor.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


def _password_change(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    # The admin's own page would change the password without the e-mail that tells its owner: allauth's does.
    return redirect("account_change_password")


admin.site.password_change = _password_change  # type: ignore[method-assign,assignment]

urlpatterns = [
    path("", include("trustdesk.web.urls")),
    path("", include("trustdesk.policy.urls")),
    path("", include("trustdesk.rights.urls")),
    path("", include("trustdesk.consent.urls")),
    path("account/", include("trustdesk.accounts.urls")),
    path("account/", include("allauth.urls")),
    path("portal/", include((portal_urlpatterns + portal_pages, "portal"))),
    path("console/", include(([*console_pages, *console_urlpatterns], "console"))),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

handler400 = "trustdesk.web.views.bad_request"
handler500 = "trustdesk.web.views.server_error"
