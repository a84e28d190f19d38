"""A mean of positives (the app's user tower) now makes the reader's vector from their whole library,
not from the latest max_len events (TwoTower.reads_library). Vectors cached before are made again on
their reader's next visit, as 0007 made the rows again.
"""

from django.db import migrations


def forget_cached_vectors(apps, schema_editor):
    apps.get_model("recommendations", "ReaderVector").objects.update(history_rows=None)


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0007_readervector_library_rows")]

    operations = [migrations.RunPython(forget_cached_vectors, migrations.RunPython.noop)]
