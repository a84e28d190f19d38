"""Import a JSONL snapshot of papers (the bundled sample) through the same upsert path."""
import json
from collections.abc import Callable
from itertools import islice
from pathlib import Path

from django.utils import timezone

from apps.papers.models import IngestRun
from apps.papers.records import InvalidRecord, from_snapshot
from apps.papers.relevance import keep_relevant
from apps.papers.services.upsert import upsert_for_run

BATCH_SIZE = 500


def import_snapshot(path: Path, *, on_batch: Callable[[IngestRun], None] | None = None) -> IngestRun:
    """Every valid line the relevance rule accepts is stored; a bad line is counted and reported, and loses
    nothing else."""
    run = IngestRun.objects.create(source=IngestRun.Source.SNAPSHOT, query=str(path))
    problems = []
    with open(path, encoding="utf-8") as lines:
        numbered = enumerate(lines, start=1)
        while batch := list(islice(numbered, BATCH_SIZE)):
            records = []
            for number, line in batch:
                if not line.strip():
                    continue
                run.seen += 1
                try:
                    records.append(from_snapshot(json.loads(line)))
                except (json.JSONDecodeError, InvalidRecord) as error:
                    run.errors += 1
                    problems.append(f"line {number}: {error}")
            relevant = keep_relevant(records)
            run.skipped += len(records) - len(relevant)
            upsert_for_run(run, relevant)
            run.save()
            if on_batch:
                on_batch(run)
    run.status = IngestRun.Status.SUCCEEDED
    run.error_message = "; ".join(problems[:20]) + (f" (and {len(problems) - 20} more)" if len(problems) > 20 else "")
    run.finished_at = timezone.now()
    run.save()
    return run
