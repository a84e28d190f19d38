"""The chained embedding, run by a real Celery worker on the embedded Redis broker."""
import json
import time

import pytest
from celery.contrib.testing.worker import start_worker

import tasks.ingest
from apps.embeddings.models import PaperEmbedding
from apps.papers.services import import_snapshot
from config.celery import app
from tasks.ingest import ingest_arxiv_task
from tests.search.factories import SEQUENTIAL_REC, SPARSE_REC, sample_rows


def wait_for(condition, timeout: float = 120) -> bool:
    """Poll until `condition()` holds; the worker runs on its own schedule."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


@pytest.fixture
def worker(encoder):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=60):
        yield


@pytest.mark.django_db(transaction=True)
def test_an_ingestion_run_that_stores_papers_queues_their_embedding(worker, tmp_path, monkeypatch):
    # The arXiv fetch is stood in for by the snapshot import: the same upsert path and IngestRun.
    snapshot = tmp_path / "new.jsonl"
    snapshot.write_text("".join(json.dumps(row) + "\n" for row in sample_rows(SEQUENTIAL_REC, SPARSE_REC)))
    monkeypatch.setattr(tasks.ingest, "ingest_arxiv", lambda **options: import_snapshot(snapshot))

    result = ingest_arxiv_task.delay().get(timeout=120)

    assert result["created"] == 2
    assert wait_for(lambda: PaperEmbedding.objects.count() == 2)
    assert set(PaperEmbedding.objects.values_list("paper__arxiv_id", flat=True)) == {SEQUENTIAL_REC, SPARSE_REC}
