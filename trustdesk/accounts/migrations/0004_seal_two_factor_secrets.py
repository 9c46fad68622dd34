"""Seal the two-factor secrets stored before they were sealed (``trustdesk.accounts.sealing``)."""

from typing import Any

from django.db import migrations


def _each(value: Any, change: Any) -> Any:
    if isinstance(value, list):
        return [_each(item, change) for item in value]
    return change(value) if isinstance(value, str) else value


def _convert(apps: Any, change: Any) -> None:
    from trustdesk.accounts.sealing import SECRET_FIELDS

    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.order_by("pk"):
        data = dict(authenticator.data or {})
        for name in SECRET_FIELDS.get(authenticator.type, ()):
            if name in data:
                data[name] = _each(data[name], change)
        if data != authenticator.data:
            authenticator.data = data
            authenticator.save(update_fields=["data"])


def seal(apps: Any, schema_editor: Any) -> None:
    from trustdesk.accounts.sealing import is_sealed
    from trustdesk.accounts.sealing import seal as sealed

    _convert(apps, lambda text: text if is_sealed(text) else sealed(text))


def unseal(apps: Any, schema_editor: Any) -> None:
    from trustdesk.accounts.sealing import unseal as opened

    _convert(apps, opened)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_model_names"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(seal, unseal)]
