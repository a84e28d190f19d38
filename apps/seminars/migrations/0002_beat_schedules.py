"""The seminar's beat entries (editable in the admin): reminders every 15 minutes, word clouds hourly."""

import json

from django.db import migrations

ENTRIES = [
    ("Seminar reminders (a day before)", "tasks.seminars.send_reminders_task", "*/15"),
    ("Seminar and digest word clouds", "tasks.seminars.refresh_word_clouds_task", "7"),
]


def add_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute in ENTRIES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour="*", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "kwargs": json.dumps({})}
        )


def remove_schedules(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[name for name, *_ in ENTRIES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("seminars", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedules, remove_schedules)]
