from apps.papers.services.ingest import IngestAlreadyRunning, ingest_arxiv
from apps.papers.services.snapshot import import_snapshot
from apps.papers.services.upsert import UpsertCounts, upsert_records

__all__ = ["IngestAlreadyRunning", "UpsertCounts", "import_snapshot", "ingest_arxiv", "upsert_records"]
