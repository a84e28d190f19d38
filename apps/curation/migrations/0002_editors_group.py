"""The `editors` group: its members (and superusers) may use the curation panel.

The demo setup of earlier versions made an "Editors" group; it is renamed, keeping its members.
"""

from django.db import migrations

EDITORS_GROUP = "editors"


def create_editors_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    if not Group.objects.filter(name=EDITORS_GROUP).exists():
        if Group.objects.filter(name="Editors").update(name=EDITORS_GROUP) == 0:
            Group.objects.create(name=EDITORS_GROUP)


class Migration(migrations.Migration):
    dependencies = [("curation", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_editors_group, migrations.RunPython.noop)]
