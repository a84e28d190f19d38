"""The newsletters' safety net, as a django-celery-beat entry editors can change in the admin."""

import json

from django.db import migrations

TASK = "tasks.newsletters.newsletters_fallback_task"
NAME = "Newsletters: start missed weeks, resume lost batches (hourly)"


def add_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # Publishing starts the sending at once; this only catches what a stopped worker or broker missed.
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="45", hour="*", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(name=NAME, defaults={"task": TASK, "crontab": crontab, "kwargs": json.dumps({})})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("newsletters", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
