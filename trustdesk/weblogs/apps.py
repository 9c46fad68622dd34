from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WeblogsConfig(AppConfig):
    name = "trustdesk.weblogs"
    label = "weblogs"
    verbose_name = _("Web access logs")
