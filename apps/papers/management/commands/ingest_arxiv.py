import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.papers.arxiv_client import FeedError
from apps.papers.services import IngestAlreadyRunning, ingest_arxiv


def utc_date(text: str) -> dt.datetime:
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(0), tzinfo=dt.UTC)
    except ValueError:
        raise CommandError(f"Not a date: {text!r}. Use YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Fetch new RecSys papers from the arXiv API (ARXIV_API_URL). Without --since, resumes from the "
        "last successful run; with --since/--until, backfills that window (UTC dates, --until exclusive)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=str, help="YYYY-MM-DD (UTC)")
        parser.add_argument("--until", type=str, help="YYYY-MM-DD (UTC), exclusive")
        parser.add_argument("--max", type=int, dest="max_results", help="stop after N entries")

    def handle(self, *args, since=None, until=None, max_results=None, **options):
        if max_results is not None and max_results < 1:
            raise CommandError("--max must be a positive number.")
        bar = tqdm(unit="paper", desc="arXiv", disable=options["verbosity"] == 0)

        def on_page(run, total):
            bar.total = total
            bar.update(run.seen - bar.n)
            bar.set_postfix(created=run.created, updated=run.updated, skipped=run.skipped)

        try:
            run = ingest_arxiv(
                since=utc_date(since) if since else None,
                until=utc_date(until) if until else None,
                max_results=max_results,
                on_page=on_page,
            )
        except (IngestAlreadyRunning, ValueError) as error:
            raise CommandError(str(error)) from error
        except FeedError as error:
            raise CommandError(f"Ingestion failed, papers stored before the failure are kept: {error}") from error
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS(f"IngestRun #{run.pk} {run.summary()}"))
