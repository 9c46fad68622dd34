from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "trustdesk.accounts"
    label = "accounts"
    verbose_name = _("Roles and access")  # allauth's own app is "Accounts" in the admin

    def ready(self) -> None:
        from trustdesk.accounts import signals  # noqa: F401  (connects the receivers)
