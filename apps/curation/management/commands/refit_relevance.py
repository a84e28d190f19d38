from django.core.management.base import BaseCommand, CommandError

from apps.digests.models import Decision
from apps.papers.relevance import refit_path, relevance_refit


class Command(BaseCommand):
    help = "Refit the relevance classifier with the editors' accept/reject decisions; the next ingestion uses it."

    def handle(self, *args, **options):
        decisions = Decision.objects.select_related("paper").order_by("paper_id", "-decided_at")
        latest = {decision.paper_id: decision for decision in decisions}  # one verdict per paper: the last
        pairs = [(decision.paper, decision.verdict == Decision.Verdict.ACCEPT) for decision in latest.values()]
        try:
            classifier = relevance_refit(pairs)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Refit on {classifier.trained_on}: {refit_path()}"))
