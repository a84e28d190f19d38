"""bench/ann.py --reuse: a second run times the queries on the kept table and index, without rebuilding."""

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg.conninfo import make_conninfo

ANN = Path(__file__).resolve().parents[2] / "bench" / "ann.py"


@pytest.fixture
def database(transactional_db):
    """An autocommit connection and URL to the test database; the bench's tables are dropped after."""
    params = {k: v for k, v in connection.get_connection_params().items() if k not in ("cursor_factory", "context")}
    url = make_conninfo(**params)
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn, url
        conn.execute("DROP TABLE IF EXISTS bench_ann, bench_ann_queries")


def run_ann(url: str, *options: str) -> str:
    command = [sys.executable, str(ANN), "--n", "3000", "--queries", "5", "--ef", "40", "--reuse", *options]
    done = subprocess.run(command, env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def index_file(conn) -> int:
    return conn.execute("SELECT pg_relation_filenode('bench_ann_hnsw')").fetchone()[0]


def test_a_second_run_reuses_the_table_and_index_and_scores_the_same(database):
    conn, url = database
    first = run_ann(url)
    assert "loading 3,000 random" in first and "HNSW build" in first
    built = index_file(conn)
    rows = conn.execute("SELECT xmin::text::bigint FROM bench_ann ORDER BY id LIMIT 1").fetchone()

    second = run_ann(url)
    assert "reused table bench_ann" in second and "reused index bench_ann_hnsw" in second
    assert "loading" not in second and "HNSW build" not in second
    assert index_file(conn) == built
    assert conn.execute("SELECT xmin::text::bigint FROM bench_ann ORDER BY id LIMIT 1").fetchone() == rows
    # Same queries, same index: the same recall (the table's last column but one).
    recall = lambda output: [line.split("|")[4] for line in output.splitlines() if line.startswith("| 40 ")]  # noqa: E731
    assert recall(first) == recall(second)


def test_other_index_settings_rebuild_the_index_on_the_kept_table(database):
    conn, url = database
    run_ann(url)
    built = index_file(conn)
    output = run_ann(url, "--m", "8")
    assert "reused table bench_ann" in output and "no reusable bench_ann_hnsw" in output and "HNSW build" in output
    assert index_file(conn) != built
    output = run_ann(url, "--m", "8", "--queries", "6")  # more queries than kept: everything again
    assert "loading 3,000 random" in output
