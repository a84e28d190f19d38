from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.embeddings.services import EmbeddingAlreadyRunning, embed_papers

ENQUEUED = "Embedding queued for the Celery worker; its log shows the progress."


class Command(BaseCommand):
    help = (
        "Embed papers that lack a vector from the configured text model (RETRIEVER_TEXT_MODEL or the "
        "packaged all-MiniLM-L6-v2). A new model builds in the background; search switches once it is complete."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", dest="refresh_all", help="re-embed every paper")
        parser.add_argument("--batch-size", type=int, help="papers per batch (RETRIEVER_EMBED_BATCH_SIZE)")
        parser.add_argument(
            "--enqueue", action="store_true", help="hand the work to the Celery worker and return at once"
        )

    def handle(self, *args, refresh_all=False, batch_size=None, enqueue=False, **options):
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be a positive number.")
        if enqueue:
            from tasks.embed import embed_papers_task

            embed_papers_task.delay(batch_size=batch_size, refresh_all=refresh_all)
            self.stdout.write(ENQUEUED)
            return
        bar = tqdm(unit="paper", desc="embedding", disable=options["verbosity"] == 0)

        def on_batch(progress):
            bar.total = progress.total
            bar.update(progress.embedded - bar.n)

        try:
            progress = embed_papers(batch_size=batch_size, refresh_all=refresh_all, on_batch=on_batch)
        except (EmbeddingAlreadyRunning, ValueError) as error:
            raise CommandError(str(error)) from error
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS(progress.summary()))
