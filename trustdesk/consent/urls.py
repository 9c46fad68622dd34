from django.urls import path

from trustdesk.consent import views

app_name = "consent"

urlpatterns = [
    path("cookies", views.cookie_settings, name="cookies"),
]
