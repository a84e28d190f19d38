"""A reader's cached rows are now their library (every paper they read, once), not the latest
max_len events the user tower reads: the item-item neighbours score from the library, as EASE does
(recsys/neighbors.py). Rows cached before are cleared, so each is made again on its reader's next visit.
"""

import django.contrib.postgres.fields
from django.db import migrations, models


def forget_history_rows(apps, schema_editor):
    apps.get_model("recommendations", "ReaderVector").objects.update(history_rows=None)


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0006_readervector_history_rows"),
    ]

    operations = [
        migrations.AlterField(
            model_name="readervector",
            name="history_rows",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.IntegerField(),
                blank=True,
                null=True,
                help_text="Its library's catalogue rows: each paper read once (-1: newer papers).",
                size=None,
            ),
        ),
        migrations.RunPython(forget_history_rows, migrations.RunPython.noop),
    ]
