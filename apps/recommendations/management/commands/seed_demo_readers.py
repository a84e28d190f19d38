from django.core.management.base import BaseCommand

from apps.recommendations.services.demo import demo_readers_seed


class Command(BaseCommand):
    help = "Create simulated readers with histories over the embedded papers (once), for the demo."

    def add_arguments(self, parser):
        parser.add_argument("--readers", type=int, default=500)
        parser.add_argument(
            "--enqueue", action="store_true", help="queue embedding, then these readers, then training, for the worker"
        )

    def handle(self, *args, readers=500, enqueue=False, **options):
        if enqueue:
            from celery import chain

            from tasks.embed import embed_papers_task
            from tasks.recommendations import seed_demo_readers_task, train_retriever_task

            chain(
                embed_papers_task.si(), seed_demo_readers_task.si(readers), train_retriever_task.si(unless_active=True)
            ).delay()
            self.stdout.write("Queued for the worker: embed the papers, simulate demo readers, train the retriever.")
            return
        made = demo_readers_seed(readers=readers)
        self.stdout.write(
            f"{made} simulated interactions." if made else "Demo readers exist already, or no vectors yet."
        )
