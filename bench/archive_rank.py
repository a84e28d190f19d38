"""The whole archive ranked for one reader: "For you" (pgvector HNSW) beside arxiv-sanity-lite's method.

    RETRIEVER_VAR_DIR=var/bench python -m config.devstack exec python bench/archive_rank.py \
        [--papers 100000] [--readers 10000] [--queries 40] [--svm-queries 8]

Same papers and readers as bench/digest_load.py (built once, kept under var/bench; the papers and their
text vectors are generated in the database and loaded by binary COPY, with the secondary indexes built
after the load, so a million papers take minutes, not hours). An active two-tower
model version is made from an untrained network (the ranking's cost does not depend on the weights), with
item vectors for every paper. Timed per request, for `--queries` readers:

- "For you": rank_archive(depth=100), the first page's ranking (five pages deep), the whole archive and
  two windows (a year and a month, in cs.IR); "cold" includes computing the reader's vector, "warm" reads
  it back. Each window is also ranked by the HNSW walk alone and by the exact scan alone (the app picks
  one by the window's estimated size), with the walk's recall@100 against the exact answer.
- arxiv-sanity-lite, reimplemented as its compute.py and serve.py do it: TF-IDF over title + abstract +
  authors (word 1-2-grams, sublinear tf, 10,000 features, min_df 5, max_df 0.5; built once, not timed),
  then per request a LinearSVC (class_weight balanced, C 0.01, tol 1e-6) trained on the whole archive
  with the reader's liked and saved papers as positives, and every paper scored and sorted. The sample
  has 560 distinct texts, so the analyzer's tokens are cached per distinct text (the features are the
  same as without the cache; only the one-off build is faster).
"""

import argparse
import datetime as dt
import functools
import time

import numpy as np
import torch
from _stack import machine, percentile
from digest_load import NEWEST, TOPICS, build_readers, clustered_unit_vectors
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from pgvector.psycopg import register_vector
from sklearn import svm
from sklearn.feature_extraction.text import TfidfVectorizer

from apps.embeddings.models import EmbeddingModel, PaperEmbedding
from apps.papers.models import Paper
from apps.recommendations.models import Interaction, ItemVector, ModelVersion, ReaderVector
from apps.recommendations.ranking.archive import rank_archive
from apps.recommendations.services.training import item_vectors
from recsys.checkpoint import save_checkpoint
from recsys.model import ModelConfig, TwoTower
from tests.arxiv_replay import sample_rows

DEPTH = 100
BATCH = 20_000
LOAD_CHUNK = 100_000
ITEM_INDEX = (
    "CREATE INDEX itemvector_hnsw_ip ON recommendations_itemvector USING hnsw (vector vector_ip_ops) "
    "WITH (m = 16, ef_construction = 64)"
)


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
    """bench/digest_load.py's catalogue (the same papers, dates and topic vectors), loaded in bulk.

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


def active_version(n: int) -> ModelVersion:
    """An active version with an (untrained) checkpoint and every paper's item vector, built once."""
    version = ModelVersion.objects.filter(checkpoint__contains="bench-").order_by("-pk").first()
    if version and ItemVector.objects.filter(model_version=version).count() == n:
        ModelVersion.objects.filter(pk=version.pk).update(status=ModelVersion.Status.ACTIVE)  # digest_load retires it
        return version
    print("making an active model version and item vectors…", flush=True)
    ModelVersion.objects.all().delete()
    torch.manual_seed(0)
    model = TwoTower(ModelConfig()).eval()
    version = ModelVersion.objects.create(status=ModelVersion.Status.TRAINING)
    version.checkpoint = str(settings.RETRIEVER_MODEL_DIR / f"bench-{version.pk}.pt")
    save_checkpoint(version.checkpoint, model)
    started = time.perf_counter()
    with connection.cursor() as cursor:  # building the graph once is much faster than inserting into it
        cursor.execute("DROP INDEX IF EXISTS itemvector_hnsw_ip")
    last = 0
    raw = connection.connection
    register_vector(raw)
    copy_sql = f"COPY {ItemVector._meta.db_table} (model_version_id, paper_id, vector) FROM STDIN (FORMAT BINARY)"
    while rows := list(
        PaperEmbedding.objects.filter(paper_id__gt=last).order_by("paper_id").values_list("paper_id", "vector")[:BATCH]
    ):
        with torch.no_grad():
            vectors = item_vectors(model, np.stack([np.asarray(v, dtype=np.float32) for _, v in rows]))
        with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
            copy.set_types(["int8", "int8", "vector"])
            for (paper_id, _), vector in zip(rows, vectors):
                copy.write_row((version.pk, paper_id, vector))
        last = rows[-1][0]
    print(f"  item vectors copied in {time.perf_counter() - started:.0f}s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '2GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 1")
        cursor.execute(ITEM_INDEX)
        cursor.execute("VACUUM ANALYZE recommendations_itemvector")
    print(f"  item vectors and their HNSW index in {time.perf_counter() - started:.0f}s", flush=True)
    version.status = ModelVersion.Status.ACTIVE
    version.save()
    return version


def time_ms(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return (time.perf_counter() - started) * 1000, result


def tfidf_features(n: int):
    """arxiv-sanity-lite's compute.py, on the same papers."""
    words = TfidfVectorizer(
        input="content",
        encoding="utf-8",
        decode_error="replace",
        strip_accents="unicode",
        lowercase=True,
        analyzer="word",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
    )
    # Its analyzer, remembered per distinct text: the same tokens, the same features.
    vectorizer = TfidfVectorizer(
        analyzer=functools.lru_cache(maxsize=None)(words.build_analyzer()),
        max_features=10_000,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=True,
        max_df=0.5,
        min_df=5,
    )
    rows = Paper.objects.order_by("id").values_list("id", "title", "abstract", "authors_text")
    distinct: dict[str, str] = {}
    paper_ids, corpus = [], []
    for paper_id, title, abstract, authors in rows.iterator(chunk_size=20_000):
        text = " ".join([title, abstract, authors.replace(",", " ")])
        paper_ids.append(paper_id)
        corpus.append(distinct.setdefault(text, text))
    return paper_ids, vectorizer.fit_transform(corpus).astype(np.float32)


def svm_rank(x, index: dict[int, int], positives: list[int]) -> np.ndarray:
    """arxiv-sanity-lite's serve.py svm_rank: a fresh classifier per request, every paper scored."""
    y = np.zeros(x.shape[0], dtype=np.float32)
    y[[index[pid] for pid in positives]] = 1.0
    clf = svm.LinearSVC(class_weight="balanced", verbose=False, max_iter=10000, tol=1e-6, C=0.01)
    clf.fit(x, y)
    return np.argsort(-clf.decision_function(x))


def summary(name: str, values: list[float]) -> str:
    return f"| {name} | {len(values)} | {percentile(values, 50):.1f} | {percentile(values, 95):.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=40, help="readers timed for For you")
    parser.add_argument("--svm-queries", type=int, default=8, help="readers timed for the per-request SVM")
    parser.add_argument("--no-text-index", action="store_true", help="skip the text vectors' HNSW (unused here)")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    rng = np.random.default_rng(0)
    load_catalogue(args.papers, rng, text_index=not args.no_text_index)
    reader_ids = build_readers(args.readers, rng)
    active_version(args.papers)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    users = list(get_user_model().objects.filter(id__in=reader_ids[: args.queries]))
    ReaderVector.objects.filter(user__in=users).delete()
    windows = {
        f"since {days} days ago in cs.IR": Q(
            announced__gte=NEWEST - dt.timedelta(days=days), categories__contains=["cs.IR"]
        )
        for days in (365, 30)
    }
    rank_archive(user=users[-1], paper_filter=Q(), depth=DEPTH)  # warm-up: the model file, connections

    cold, warm, methods = [], [], set()
    windowed = {(name, how): [] for name in windows for how in ("app", "walk", "exact")}
    recalls = {name: [] for name in windows}
    threshold = settings.RETRIEVER_EXACT_WINDOW_ROWS
    for user in users:
        elapsed, (ids, method) = time_ms(lambda user=user: rank_archive(user=user, paper_filter=Q(), depth=DEPTH))
        cold.append(elapsed)
        methods.add(method)
        assert len(ids) == DEPTH, len(ids)
        warm.append(time_ms(lambda user=user: rank_archive(user=user, paper_filter=Q(), depth=DEPTH))[0])
        for name, window in windows.items():
            answers = {}
            for how, rows in (("app", threshold), ("walk", -1), ("exact", 10**12)):
                settings.RETRIEVER_EXACT_WINDOW_ROWS = rows
                elapsed, (answers[how], _) = time_ms(
                    lambda user=user, window=window: rank_archive(user=user, paper_filter=window, depth=DEPTH)
                )
                windowed[name, how].append(elapsed)
            settings.RETRIEVER_EXACT_WINDOW_ROWS = threshold
            recalls[name].append(len(set(answers["walk"]) & set(answers["exact"])) / len(answers["exact"]))
    sizes = {name: Paper.objects.filter(window).count() for name, window in windows.items()}

    # For you first, as soon as it is measured: the SVM's requests at a million papers take minutes each.
    print(f"machine: {machine()}; papers={args.papers}, readers={args.readers}, methods used: {sorted(methods)}")
    print("| ranking | requests | p50 ms | p95 ms |\n|---|---:|---:|---:|")
    print(summary("For you, whole archive, reader vector cached (warm)", warm))
    print(summary("For you, whole archive, reader vector computed (cold)", cold))
    for name in windows:
        print(summary(f"For you, {name} ({sizes[name]:,} papers), as the app chooses", windowed[name, "app"]))
        print(
            summary(
                f"... the same window by the HNSW walk (recall@{DEPTH} {np.mean(recalls[name]):.3f})",
                windowed[name, "walk"],
            )
        )
        print(summary("... the same window by the exact scan", windowed[name, "exact"]), flush=True)

    started = time.perf_counter()
    paper_ids, x = tfidf_features(args.papers)
    print(f"TF-IDF features {x.shape} built in {time.perf_counter() - started:.1f}s (once; not timed)", flush=True)
    index = {pid: i for i, pid in enumerate(paper_ids)}
    svm_times = []
    for user in users[: args.svm_queries]:
        positives = list(
            Interaction.objects.filter(user=user, kind__in=["like", "save"]).values_list("paper_id", flat=True)
        )
        svm_times.append(time_ms(lambda positives=positives: svm_rank(x, index, positives))[0])
        print(
            f"  arxiv-sanity request {len(svm_times)}: {len(positives)} positives, {svm_times[-1]:.0f} ms", flush=True
        )
    print(summary("arxiv-sanity-lite: per-request LinearSVC over TF-IDF", svm_times))
    print(
        f"speed-up at p50 (SVM / For you warm): {percentile(svm_times, 50) / percentile(warm, 50):.0f}x; "
        f"at p95: {percentile(svm_times, 95) / percentile(warm, 95):.0f}x"
    )


if __name__ == "__main__":
    main()
