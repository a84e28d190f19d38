"""A reader's cached state keeps its history's catalogue rows beside the vector: what the model's
item-item neighbours score from (recsys/neighbors.py).

Vectors cached before this have none (null) and are made again on their reader's next visit.
"""

import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0005_two_tower_dim_256"),
    ]

    operations = [
        migrations.AddField(
            model_name="readervector",
            name="history_rows",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.IntegerField(),
                blank=True,
                null=True,
                help_text="Its history's catalogue rows (-1: newer papers).",
                size=None,
            ),
        ),
    ]
