from django.core.management.base import BaseCommand

from apps.seminars.services.clouds import cloud_rebuild, series_cloud_key
from apps.seminars.services.demo import demo_seminar_seed


class Command(BaseCommand):
    help = "Create the demo seminar (once): a year of past talks on sample papers, and a term of sessions ahead."

    def handle(self, *args, **options):
        series = demo_seminar_seed()
        if series is None:
            self.stdout.write("The demo seminar exists already, or the sample papers are not imported yet.")
            return
        cloud = cloud_rebuild(series_cloud_key(series))
        self.stdout.write(
            f"Demo seminar {series.name!r}: {series.sessions.count()} sessions, archive cloud of {cloud.titles} titles."
        )
