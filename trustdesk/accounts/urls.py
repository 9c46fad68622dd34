from django.urls import path

from trustdesk.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("history/", views.history, name="history"),
    path("log-off-everywhere/", views.log_off_everywhere, name="log_off_everywhere"),
    path("keep-two-factor/", views.keep_two_factor, name="keep_two_factor"),
    # in place of allauth's page at the same address (its name, usersessions_list, leads here)
    path("sessions/", views.open_sessions, name="sessions"),
]

portal_urlpatterns = [
    path("", views.portal, name="portal"),
    path("organisations/<int:org_id>/", views.portal_organisation, name="portal_organisation"),
]

console_urlpatterns = [
    path("instructions/", views.instructions, name="instructions"),
    path("instructions/new/", views.instruction_new, name="instruction_new"),
    path("instructions/<int:pk>/", views.instruction, name="instruction"),
]
