from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "trustdesk.web"
    label = "web"
    verbose_name = "Web"
