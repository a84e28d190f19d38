"""The chained embedding, run by a real Celery worker on the embedded Redis broker."""

import time

from apps.embeddings.models import PaperEmbedding
from tasks.ingest import ingest_arxiv_task
from tests.arxiv_replay import Entry
from tests.search.factories import SEQUENTIAL_REC, SPARSE_REC, sample_rows


def wait_for(condition, timeout: float = 120) -> bool:
    """Poll until `condition()` holds; the worker runs on its own schedule."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


def test_an_ingestion_run_that_stores_papers_queues_their_embedding(encoder, celery_worker, arxiv_feed):
    arxiv_feed.entries = [Entry.from_row(row) for row in sample_rows(SEQUENTIAL_REC, SPARSE_REC)]

    result = ingest_arxiv_task.delay().get(timeout=120)

    assert result["created"] == 2
    assert wait_for(lambda: PaperEmbedding.objects.count() == 2)
    assert set(PaperEmbedding.objects.values_list("paper__arxiv_id", flat=True)) == {SEQUENTIAL_REC, SPARSE_REC}
