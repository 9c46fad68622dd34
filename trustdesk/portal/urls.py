"""The portal's pages, mounted under /portal/ with the organisation pages (namespace ``portal``)."""

from django.urls import path

from trustdesk.portal import views

urlpatterns = [
    path("data/", views.my_data, name="data"),
    path("data/correct/", views.correct, name="correct"),
    path("data/download/", views.download_my_data, name="download_my_data"),
    path("requests/", views.my_requests, name="requests"),
    path("requests/new/<str:kind>/", views.ask, name="ask"),
    path("requests/<str:reference>/", views.request_detail, name="request"),
    path("requests/<str:reference>/downloads/<int:download_id>/", views.download, name="download"),
    path("consents/", views.consents, name="consents"),
]
