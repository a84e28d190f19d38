from apps.papers.services.fetch import PaperUnavailable, paper_by_arxiv_id
from apps.papers.services.ingest import IngestAlreadyRunning, ingest_arxiv
from apps.papers.services.snapshot import import_snapshot
from apps.papers.services.upsert import UpsertCounts, upsert_records

__all__ = [
    "IngestAlreadyRunning",
    "PaperUnavailable",
    "UpsertCounts",
    "import_snapshot",
    "ingest_arxiv",
    "paper_by_arxiv_id",
    "upsert_records",
]
