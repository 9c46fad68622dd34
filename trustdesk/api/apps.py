from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "trustdesk.api"
    label = "api"
    verbose_name = _("REST API")

    def ready(self) -> None:
        from trustdesk.api import checks  # noqa: F401  (registers the system check)
