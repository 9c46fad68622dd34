from django.urls import path

from trustdesk.rights import views

app_name = "rights"

urlpatterns = [
    path("privacy/request", views.request_form, name="request"),
    path("privacy/request/confirm/<str:token>", views.confirm, name="confirm"),
    path("privacy/download/<str:token>", views.download, name="download"),
]
