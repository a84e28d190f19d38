from django.core.management.base import BaseCommand, CommandError

from apps.recommendations.models import ModelVersion
from apps.recommendations.services.training import TrainingAlreadyRunning, model_version_train


class Command(BaseCommand):
    help = "Train the two-tower retriever on the stored interactions; it serves if it matches or beats the active one."

    def add_arguments(self, parser):
        parser.add_argument("--epochs", type=int, help="override RETRIEVER_TRAIN's epochs")
        parser.add_argument("--enqueue", action="store_true", help="hand the work to the Celery worker and return")

    def handle(self, *args, epochs=None, enqueue=False, **options):
        if enqueue:
            from tasks.recommendations import train_retriever_task

            train_retriever_task.delay()
            self.stdout.write("Training queued for the worker.")
            return
        if epochs is not None and epochs < 1:
            raise CommandError("--epochs must be a positive number.")
        try:
            version = model_version_train(overrides={"epochs": epochs} if epochs else None)
        except TrainingAlreadyRunning as error:
            raise CommandError(str(error)) from error
        if version.status == ModelVersion.Status.FAILED:
            raise CommandError(f"Model version {version.pk} failed: {version.error}")
        recall = version.metrics.get("recall@20", 0)
        self.stdout.write(
            self.style.SUCCESS(
                f"Model version {version.pk}: {version.get_status_display()}, recall@20 {recall:.4f} "
                f"on {version.interactions} interactions from {version.readers} readers"
            )
        )
