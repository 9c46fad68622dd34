from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "trustdesk.rights"
    label = "rights"
    verbose_name = "Data-subject requests"
