from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "trustdesk.journal"
    label = "journal"
    verbose_name = "Journal"
