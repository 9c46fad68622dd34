from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "trustdesk.portal"
    label = "portal"
    verbose_name = "Customer portal"
