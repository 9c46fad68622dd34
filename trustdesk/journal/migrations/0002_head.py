"""The one JournalHead row: the journal starts empty, its head at seq 0 and 64 zeros."""

from django.db import migrations

GENESIS = "0" * 64


def create_head(apps, schema_editor):
    JournalHead = apps.get_model("journal", "JournalHead")
    JournalHead.objects.using(schema_editor.connection.alias).get_or_create(
        pk=1, defaults={"seq": 0, "hash": GENESIS}
    )


class Migration(migrations.Migration):

    dependencies = [
        ("journal", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
