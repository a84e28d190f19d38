"""Import a JSONL snapshot of papers (the bundled sample) through the same upsert path."""

import json
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

from apps.papers.models import IngestRun
from apps.papers.records import InvalidRecord, from_snapshot
from apps.papers.relevance import keep_relevant
from apps.papers.services.runs import recorded_run
from apps.papers.services.upsert import upsert_for_run

BATCH_SIZE = 500


def _lines(path: Path) -> Iterator[tuple[int, str | None]]:
    """(number, text) per line; text is None for a line that is not UTF-8, so it alone is rejected."""
    with open(path, "rb") as lines:
        for number, raw in enumerate(lines, start=1):
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError:
                yield number, None


def import_snapshot(path: Path, *, on_batch: Callable[[IngestRun], None] | None = None) -> IngestRun:
    """Every valid line the relevance rule accepts is stored; a bad line is rejected on the run (its
    number and why), and loses nothing else."""
    with recorded_run(source=IngestRun.Source.SNAPSHOT, query=str(path)) as run:
        numbered = _lines(path)
        while batch := list(islice(numbered, BATCH_SIZE)):
            records = []
            for number, line in batch:
                if line is not None and not line.strip():
                    continue
                run.seen += 1
                try:
                    if line is None:
                        raise InvalidRecord("not UTF-8 text")
                    records.append(from_snapshot(json.loads(line)))
                except (ValueError, RecursionError) as error:  # InvalidRecord and JSONDecodeError are ValueErrors
                    run.reject(f"line {number}", str(error)[:500])
            relevant = keep_relevant(records)
            run.skipped += len(records) - len(relevant)
            upsert_for_run(run, relevant)
            run.save()
            if on_batch:
                on_batch(run)
    return run
