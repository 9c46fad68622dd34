from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "trustdesk.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from trustdesk.accounts import signals  # noqa: F401  (connects the receivers)
