from django.db import migrations, models

# The demo's accounts as `make run` named them before this field (frozen here, as migrations must be).
DEMO_READERS = "demo-reader-"
DEMO_SPEAKERS = "@seminar.example.org"


def mark_demo_accounts(apps, schema_editor):
    """An install `make run` seeded before stops counting and emailing its simulated accounts too."""
    User = apps.get_model("auth", "User")
    Profile = apps.get_model("accounts", "Profile")
    demo = User.objects.filter(
        models.Q(username__startswith=DEMO_READERS, password__startswith="!")
        | models.Q(username__endswith=DEMO_SPEAKERS, password__startswith="!")
    )
    Profile.objects.filter(user__in=demo).update(demo=True)
    Profile.objects.bulk_create([Profile(user=user, demo=True) for user in demo.filter(profile__isnull=True)])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_account_email"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="demo",
            field=models.BooleanField(default=False, help_text="A simulated account made for the demo: never emailed."),
        ),
        migrations.RunPython(mark_demo_accounts, migrations.RunPython.noop),
    ]
