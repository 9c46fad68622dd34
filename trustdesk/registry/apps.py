from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "trustdesk.registry"
    label = "registry"
    verbose_name = "Registry"
