"""The benchmarks' synthetic catalogue and readers (bench/digest_load.py, bench/archive_rank.py).

Papers are the real sample's texts under new ids, ~190 a week over ten years up to NEWEST, each with a
text vector around one of TOPICS topics under an active embedding model; readers have 20 likes, saves
and dismissals each among the last half year's papers. Both are kept between runs under the var dir
(the same sizes are not built twice). Import it once Django is set up.
"""

import datetime as dt
import time

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection
from pgvector.psycopg import register_vector

from apps.embeddings.models import EmbeddingModel, PaperEmbedding
from apps.papers.models import Paper
from apps.recommendations.models import Interaction
from tests.arxiv_replay import sample_rows

NEWEST = dt.date(2026, 11, 23)
TOPICS = 500
LOAD_CHUNK = 100_000


def clustered_unit_vectors(rng: np.random.Generator, count: int, centres: np.ndarray) -> np.ndarray:
    """Papers around topics, as text embeddings are (cosine about 0.7 to their topic), not uniform noise."""
    vectors = centres[rng.integers(len(centres), size=count)] + 0.045 * rng.standard_normal((count, centres.shape[1]))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, definition) of the indexes on `table` that back no constraint: dropped while loading."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = %s "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [table],
        )
        return cursor.fetchall()


def load_catalogue(n: int, rng: np.random.Generator, *, text_index: bool) -> None:
    """`n` papers (the sample's texts under new ids, announced over ten years up to NEWEST) with text
    vectors around TOPICS topics, loaded in bulk; kept, not built again, while the size is the same.

    The paper rows are made in the database from the 560 sample texts (generate_series), the text
    vectors sent by binary COPY, and the secondary indexes (full text, categories, dates) built once
    after the load. `text_index=False` leaves out the text vectors' HNSW index, which ranking the
    archive with a two-tower model does not read (its item vectors have their own).
    """
    if Paper.objects.filter(arxiv_id__startswith="b").count() == n == Paper.objects.count():
        return
    print(f"loading {n:,} papers with vectors…", flush=True)
    started = time.perf_counter()
    papers, embeddings = Paper._meta.db_table, PaperEmbedding._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {papers} CASCADE")
    get_user_model().objects.filter(username__startswith="bench-").delete()  # their histories went with it
    model, _ = EmbeddingModel.objects.get_or_create(name="bench-random", defaults={"status": "active"})
    indexes = secondary_indexes(papers) + secondary_indexes(embeddings)
    rows = sample_rows()
    with connection.cursor() as cursor:
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute(
            "CREATE TEMP TABLE bench_sample (k int PRIMARY KEY, title text, abstract text, authors_text text, "
            "primary_category text, categories varchar(32)[])"
        )
        cursor.executemany(
            "INSERT INTO bench_sample VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (k, r["title"], r["abstract"], ", ".join(r["authors"]), r["categories"][0], r["categories"])
                for k, r in enumerate(rows)
            ],
        )
        for start in range(0, n, LOAD_CHUNK):
            cursor.execute(
                f"INSERT INTO {papers} (arxiv_id, version, title, abstract, authors_text, primary_category, "
                "categories, published, updated, announced, comment, journal_ref, doi, withdrawn, created_at, "
                "modified_at) "
                "SELECT 'b' || lpad(g.i::text, 7, '0'), 1, s.title, s.abstract, s.authors_text, s.primary_category, "
                "s.categories, (g.day + time '12:00') AT TIME ZONE 'UTC', (g.day + time '12:00') AT TIME ZONE 'UTC', "
                "g.day, '', '', '', false, now(), now() "
                "FROM (SELECT i, %s::date - (i::bigint * 3650 / %s)::int AS day FROM generate_series(%s, %s) i) g "
                "JOIN bench_sample s ON s.k = g.i %% %s ORDER BY g.i",
                [NEWEST, n, start, min(n, start + LOAD_CHUNK) - 1, len(rows)],
            )
            print(f"  {min(n, start + LOAD_CHUNK):,} papers ({time.perf_counter() - started:.0f}s)", flush=True)
        cursor.execute(f"SELECT id FROM {papers} ORDER BY id")
        paper_ids = [row[0] for row in cursor.fetchall()]
    centres = rng.standard_normal((TOPICS, 384))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    raw = connection.connection
    register_vector(raw)
    copy_sql = f"COPY {embeddings} (paper_id, model_name, paper_version, vector, created_at) FROM STDIN (FORMAT BINARY)"
    now = dt.datetime.now(dt.UTC)
    with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
        copy.set_types(["int8", "varchar", "int2", "vector", "timestamptz"])
        for start in range(0, n, LOAD_CHUNK):
            chunk = paper_ids[start : start + LOAD_CHUNK]
            for paper_id, vector in zip(chunk, clustered_unit_vectors(rng, len(chunk), centres)):
                copy.write_row((paper_id, model.name, 1, vector, now))
    print(f"  text vectors copied ({time.perf_counter() - started:.0f}s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '2GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 1")
        for name, definition in indexes:
            if text_index or "hnsw" not in definition:
                cursor.execute(definition)
                print(f"  {name} built ({time.perf_counter() - started:.0f}s)", flush=True)
        cursor.execute(f"VACUUM ANALYZE {papers}")
        cursor.execute(f"VACUUM ANALYZE {embeddings}")
    print(f"  catalogue loaded in {time.perf_counter() - started:.0f}s", flush=True)


def build_readers(n: int, rng: np.random.Generator) -> list[int]:
    User = get_user_model()
    existing = list(User.objects.filter(username__startswith="bench-").values_list("id", flat=True))
    if len(existing) >= n:
        return existing[:n]
    print(f"building {n} readers with histories…", flush=True)
    User.objects.filter(username__startswith="bench-").delete()
    users = User.objects.bulk_create([User(username=f"bench-{i}", email=f"bench-{i}@example.org") for i in range(n)])
    recent = list(Paper.objects.filter(announced__gte=NEWEST - dt.timedelta(weeks=26)).values_list("id", flat=True))
    kinds = ["like"] * 10 + ["save"] * 6 + ["dismiss"] * 4
    for start in range(0, n, 1000):
        rows = []
        for user in users[start : start + 1000]:
            for kind, paper_id in zip(kinds, rng.choice(recent, size=len(kinds), replace=False)):
                rows.append(Interaction(user=user, paper_id=int(paper_id), kind=kind, source="digest"))
        Interaction.objects.bulk_create(rows)
    return [user.id for user in users]
