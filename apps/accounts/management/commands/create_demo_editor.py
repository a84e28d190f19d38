from django.core.management.base import BaseCommand

from apps.accounts.services import demo_editor_ensure


class Command(BaseCommand):
    help = "Create (or refresh) the demo editor account and print its credentials."

    def handle(self, *args, **options):
        email, password = demo_editor_ensure()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo editor — log in at /accounts/login/ with Email: {email}  Password: {password}  "
                "(then the curation panel: /curation/)"
            )
        )
