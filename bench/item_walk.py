"""For you's walk over the item vectors: how much of the exact top page by inner product it finds, with
the app's index and with others built beside it on the same vectors.

    RETRIEVER_VAR_DIR=var/bench python -m config.devstack exec python bench/item_walk.py \
        [--vectors items|text] [--ef 100,200,400,1000] [--variants app,reduction,ip-m32] [--readers 40] [--keep]

Reads what bench/archive_rank.py built and left under the var dir (the catalogue, the active version's
item vectors, the readers): run that first. The vectors walked (`--vectors`):

- items: the active version's item vectors, against its readers' cached vectors. The bench's version is
  an untrained network whose item vectors are all of length 1 and lie close together;
- text: lengths as a trained model's learn them (recsys/app.py serves normalize_items=False, as EASE's
  columns have their own scales): each paper's text vector (unit, around one of 500 topics) times
  sqrt(1 + its readers), against each reader's mean of their liked and saved papers' text vectors.
  Copied to a table of their own (bench_walk_vectors), kept.

Each variant other than the app's is an expression index over the same column, built here and dropped
after (unless --keep):

- app: an index over inner products as ItemVector's (m=16, ef_construction=64);
- reduction: the MIPS to nearest-neighbour reduction (Bachrach et al., RecSys 2014): each vector x gains
  sqrt(M^2 - |x|^2), M the longest length, so all are M long, and the query (q, 0) walks a cosine
  index, whose order is the inner product's (m=16, ef_construction=64);
- ip-m32: inner products again, a denser graph (m=32, ef_construction=128).

For each, the `--readers` readers' vectors walk the whole set at each hnsw.ef_search (at least the
depth) for the top 20 and 100, against the exact top by inner product computed here from every vector.
The times are the walk's query alone, not the page (bench/archive_rank.py times that).
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from pgvector.psycopg import register_vector  # noqa: E402

from apps.embeddings.models import PaperEmbedding  # noqa: E402
from apps.recommendations.models import Interaction, ItemVector, ModelVersion, ReaderVector  # noqa: E402
from bench._stack import machine, percentile  # noqa: E402

DEPTHS = (20, 100)
TEXT_TABLE = "bench_walk_vectors"


def variants(table: str, dim: int, norm: float) -> dict[str, tuple[str | None, str, str]]:
    """{name: (index to build on `table`, or None: an index over inner products on the column itself, as
    the app's; ORDER BY expression; the query's form)}."""
    lengthened = (
        f"((vector::real[] || sqrt(greatest({norm!r}::float8 ^ 2 - vector_norm(vector) ^ 2, 0))::real)"
        f"::vector({dim + 1}))"
    )
    same = f"(subvector(vector, 1, {dim})::vector({dim}))"  # the column, as an expression
    app = (
        None
        if table == ItemVector._meta.db_table
        else "USING hnsw (vector vector_ip_ops) WITH (m = 16, ef_construction = 64)"
    )
    return {
        "app": (app, "vector <#> %s", "plain"),
        "reduction": (
            f"USING hnsw ({lengthened} vector_cosine_ops) WITH (m = 16, ef_construction = 64)",
            f"{lengthened} <=> %s",
            "lengthened",
        ),
        "ip-m32": (
            f"USING hnsw ({same} vector_ip_ops) WITH (m = 32, ef_construction = 128)",
            f"{same} <#> %s",
            "plain",
        ),
    }


def item_vectors(count: int) -> tuple[str, np.ndarray, np.ndarray, list[np.ndarray]]:
    """(table, paper ids, vectors, readers' vectors): the active version's item vectors."""
    version = ModelVersion.objects.get(status=ModelVersion.Status.ACTIVE)
    rows = ItemVector.objects.filter(model_version=version).values_list("paper_id", "vector")
    paper_ids, vectors = zip(*rows.iterator(chunk_size=20_000))
    readers = ReaderVector.objects.filter(model_version=version).order_by("user_id").values_list("vector", flat=True)
    return (
        ItemVector._meta.db_table,
        np.asarray(paper_ids),
        np.stack([np.asarray(v, dtype=np.float32) for v in vectors]),
        [np.asarray(vector, dtype=np.float32) for vector in readers[:count]],
    )


def text_vectors(count: int) -> tuple[str, np.ndarray, np.ndarray, list[np.ndarray]]:
    """(table, paper ids, vectors, readers' vectors): text vectors lengthened by popularity (see above)."""
    rows = PaperEmbedding.objects.order_by("paper_id").values_list("paper_id", "vector")
    paper_ids, vectors = zip(*rows.iterator(chunk_size=20_000))
    paper_ids, text = np.asarray(paper_ids), np.stack([np.asarray(v, dtype=np.float32) for v in vectors])
    readers_of = dict(
        Interaction.objects.values("paper_id").annotate(n=Count("user_id", distinct=True)).values_list("paper_id", "n")
    )
    lengths = np.sqrt(1.0 + np.array([readers_of.get(pid, 0) for pid in paper_ids], dtype=np.float32))
    vectors = text * lengths[:, None]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [TEXT_TABLE])
        if not cursor.fetchone()[0]:
            cursor.execute(f"CREATE TABLE {TEXT_TABLE} (paper_id bigint PRIMARY KEY, vector vector({text.shape[1]}))")
            with (
                connection.connection.cursor() as raw,
                raw.copy(f"COPY {TEXT_TABLE} (paper_id, vector) FROM STDIN (FORMAT BINARY)") as copy,
            ):
                copy.set_types(["int8", "vector"])
                for paper_id, vector in zip(paper_ids.tolist(), vectors):
                    copy.write_row((paper_id, vector))
            cursor.execute(f"ANALYZE {TEXT_TABLE}")
    row = {pid: i for i, pid in enumerate(paper_ids.tolist())}
    liked = Interaction.objects.filter(kind__in=["like", "save"]).order_by("user_id").values_list("user_id", "paper_id")
    history: dict[int, list[int]] = {}
    for user_id, paper_id in liked.iterator(chunk_size=50_000):
        if paper_id in row and (user_id in history or len(history) < count):
            history.setdefault(user_id, []).append(row[paper_id])
    return TEXT_TABLE, paper_ids, vectors, [text[rows].mean(axis=0) for rows in history.values()]


def build(table: str, name: str, definition: str) -> str:
    index = f"bench_{table.removeprefix('recommendations_').removeprefix('bench_')}_{name.replace('-', '_')}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [index])
        if cursor.fetchone()[0]:
            return index
        print(f"building {index}…", flush=True)
        started = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 1")
        cursor.execute(f"CREATE INDEX {index} ON {table} {definition}")
        cursor.execute(f"ANALYZE {table}")
    print(f"  in {time.perf_counter() - started:.0f}s", flush=True)
    return index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", choices=["items", "text"], default="items")
    parser.add_argument("--ef", default="100,200,400,1000", help="comma-separated hnsw.ef_search values")
    parser.add_argument("--variants", default="app,reduction,ip-m32")
    parser.add_argument("--readers", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the indexes built here")
    args = parser.parse_args()

    connection.ensure_connection()
    register_vector(connection.connection)
    load = item_vectors if args.vectors == "items" else text_vectors
    table, paper_ids, vectors, readers = load(args.readers)
    norm = float(np.linalg.norm(vectors.astype(np.float64), axis=1).max())
    exact = [paper_ids[np.lexsort((paper_ids, -(vectors @ reader)))[: max(DEPTHS)]] for reader in readers]
    lengths = np.linalg.norm(vectors, axis=1)
    print(
        f"machine: {machine()}; {len(paper_ids):,} {args.vectors} vectors, lengths {lengths.min():.3g} to {lengths.max():.3g} "
        f"(median {np.median(lengths):.3g}); {len(readers)} readers; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    print(
        "| index | hnsw.ef_search | depth | recall (mean) | recall (min) | p50 ms | p95 ms |\n"
        "|---|---:|---:|---:|---:|---:|---:|"
    )
    built = []
    for name in args.variants.split(","):
        definition, order, form = variants(table, vectors.shape[1], norm)[name]
        if definition is not None:
            built.append(build(table, name, definition))
        for ef_search in [int(ef) for ef in args.ef.split(",")]:
            for depth in DEPTHS:
                recalls, times = [], []
                for reader, top in zip(readers, exact, strict=True):
                    query = np.append(reader, np.float32(0.0)) if form == "lengthened" else reader
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(max(ef_search, depth))])
                        started = time.perf_counter()
                        cursor.execute(f"SELECT paper_id FROM {table} ORDER BY {order} LIMIT {depth}", [query])
                        found = [row[0] for row in cursor.fetchall()]
                        times.append((time.perf_counter() - started) * 1000)
                    recalls.append(len(set(found) & set(top[:depth].tolist())) / depth)
                print(
                    f"| {name} | {ef_search} | {depth} | {np.mean(recalls):.3f} | {min(recalls):.2f} "
                    f"| {percentile(times, 50):.1f} | {percentile(times, 95):.1f} |",
                    flush=True,
                )
    print(f"load average {os.getloadavg()[0]:.1f}")
    if not args.keep:
        with connection.cursor() as cursor:
            for index in built:
                cursor.execute(f"DROP INDEX {index}")


if __name__ == "__main__":
    main()
