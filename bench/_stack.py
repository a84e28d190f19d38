"""A PostgreSQL for the benchmarks: DATABASE_URL if set, else an embedded one under var/bench."""

import os
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@contextmanager
def database_url(shared_buffers: str | None = None):
    """`shared_buffers` (e.g. "3GB") is set on the embedded server (ALTER SYSTEM, kept in its var dir) and
    takes effect by a restart; a DATABASE_URL's server is configured by whoever runs it."""
    if os.environ.get("DATABASE_URL"):
        if shared_buffers:
            raise SystemExit("shared_buffers can only be set on the embedded server: set it on yours")
        yield os.environ["DATABASE_URL"]
        return
    # Its own var dir: a benchmark never touches the data of `make run` or of the tests.
    os.environ.setdefault("RETRIEVER_VAR_DIR", str(ROOT / "var" / "bench"))
    from config import embedded

    server = embedded.start_postgres()
    if shared_buffers:
        server = _restarted_with(server, shared_buffers)
    try:
        os.environ["DATABASE_URL"] = embedded.postgres_url()
        yield os.environ["DATABASE_URL"]
    finally:
        embedded.stop_postgres(server)


def _restarted_with(server, shared_buffers: str):
    import psycopg
    from psycopg import sql

    from config import embedded

    with psycopg.connect(embedded.postgres_url(), autocommit=True) as conn:
        if conn.execute("SHOW shared_buffers").fetchone()[0] == shared_buffers:
            return server
        conn.execute(sql.SQL("ALTER SYSTEM SET shared_buffers = {}").format(sql.Literal(shared_buffers)))
    embedded.stop_postgres(server)
    return embedded.start_postgres()


def sample_paper(row: dict, *, arxiv_id: str, announced):
    """An unsaved Paper with a sample row's text, announced (and published) on `announced`."""
    import datetime as dt

    from apps.papers.models import Paper

    published = dt.datetime.combine(announced, dt.time(12), tzinfo=dt.UTC)
    return Paper(
        arxiv_id=arxiv_id,
        title=row["title"],
        abstract=row["abstract"],
        authors_text=", ".join(row["authors"]),
        primary_category=row["categories"][0],
        categories=row["categories"],
        published=published,
        updated=published,
        announced=announced,
    )


def percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q))


def machine() -> str:
    import platform

    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"
