from django.urls import path

from trustdesk.policy import views

app_name = "policy"

urlpatterns = [
    path("privacy", views.statement, name="statement"),
    path("privacy/versions", views.versions, name="versions"),
    path("privacy/versions/<int:number>", views.version_detail, name="version"),
    path("privacy/versions/<int:old>/compare/<int:new>", views.compare, name="compare"),
    path("acceptable-use", views.acceptable_use, name="acceptable_use"),
]
