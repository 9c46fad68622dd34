from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "trustdesk.policy"
    label = "policy"
    verbose_name = "Policy"

    def ready(self) -> None:
        from trustdesk.policy import checks  # noqa: F401  (registers the system checks)
