from django.apps import AppConfig


class WeblogsConfig(AppConfig):
    name = "trustdesk.weblogs"
    label = "weblogs"
    verbose_name = "Web access logs"
