from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.papers.services import import_snapshot


class Command(BaseCommand):
    help = "Import papers from a JSONL snapshot (see data/sample/README.md); re-importing is idempotent."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with open(path, encoding="utf-8") as lines:
            total = sum(1 for line in lines if line.strip())
        bar = tqdm(total=total, unit="paper", desc=path.name, disable=options["verbosity"] == 0)
        run = import_snapshot(path, on_batch=lambda run: bar.update(run.seen - bar.n))
        bar.close()
        style = self.style.WARNING if run.errors else self.style.SUCCESS
        self.stdout.write(style(f"Imported {path.name}: {run.summary()}"))
