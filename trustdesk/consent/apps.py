from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "trustdesk.consent"
    label = "consent"
    verbose_name = "Consent"
