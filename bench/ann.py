"""pgvector HNSW against exact search, side by side in one run, on random, clustered or paper-like vectors.

    python bench/ann.py                       # 100,000 x 384, here
    python bench/ann.py --vectors clustered   # around 500 topics, isotropic noise: the pessimistic case
    python bench/ann.py --vectors papers --papers /work/shared/data/arxiv/arxiv_recsys_ir_papers.jsonl
                                              # a mixture fitted to real paper embeddings, checked against them
    python bench/ann.py --vectors papers --index halfvec --m 24 --ef-construction 128   # index variants
    python bench/ann.py --n 1000000 --queries 100 --maintenance-work-mem 8GB   # unattended, bigger machine
    python bench/ann.py --vectors papers --n 1000000 --m 24 --ef-construction 128 --reuse
                                              # keeps table + index; run again: times the queries only

Loads --n random unit vectors (384 dims, seed fixed) into a scratch table, answers --queries random
unit queries exactly (sequential scan) for the ground truth and its latency, builds the HNSW index
(cosine, m=16, ef_construction=64, as the app's index), then times top-k at each ef_search and scores
recall@k against the exact answers. Uses DATABASE_URL, or an embedded PostgreSQL under var/bench.
Random vectors have no cluster structure, the hardest case for HNSW: real embeddings recall better.
`--vectors clustered` draws every vector (and every query) around one of --topics random directions,
at cosine about 0.75 to it, like papers about one subject in a text-embedding space.
`--vectors papers` embeds --papers (title + abstract, the app's encoder, cached under var/cache), fits a
Gaussian mixture to them (bench/vectors.py) and draws from it; before loading it prints the realism
check: neighbour statistics of the real vectors beside synthetic ones (and the isotropic topics) of the
same size. Every run also prints the queries' neighbour statistics at --n from the exact answers.
`--index halfvec` indexes (and searches) `v::halfvec(384)`, half the bytes per vector; `--index bit`
indexes the sign bits (`binary_quantize(v)::bit(384)`, Hamming distance), takes ef_search candidates
from it and re-ranks them exactly on v. Recall is always scored against the exact float32 answers.
`--reuse` keeps the table, its queries and the index, each labelled with the settings that made it; a
later run with --reuse skips the load (and the mixture fit) when the vector settings match and it holds
enough queries, and the build when the index settings match too, and says what it reused. The exact scan
is timed again every run, so a rerun on a quiet machine measures both sides in minutes.
`--shared-buffers 3GB` restarts the embedded server with that much buffer cache (kept in its var dir):
an index larger than shared_buffers is read page by page through the OS cache on every walk.
"""

import argparse
import json
import os
import time

import numpy as np
import psycopg
from _stack import database_url, machine, percentile
from pgvector.psycopg import register_vector
from psycopg import sql
from vectors import PaperMixture, cosine_to_distance, format_stats, isotropic_topics, lid_mle, neighbour_stats

DIMS = 384


def random_unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    vectors = rng.standard_normal((n, DIMS), dtype=np.float32)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def paper_vectors(path: str) -> np.ndarray:
    import json

    from recsys.embeddings import embed_texts
    from recsys.encoder import paper_text

    rows = [json.loads(line) for line in open(path) if line.strip()]
    return embed_texts([paper_text(row["title"], row["abstract"]) for row in rows])


def realism_check(real: np.ndarray, mixture: PaperMixture, rng: np.random.Generator, k: int) -> None:
    """Real vectors beside synthetic ones of the same size: does the generator look like them?"""
    centres = random_unit_vectors(rng, 500)
    print(f"realism check (k = {k}; lid: Levina-Bickel MLE):")
    print("  " + format_stats("real papers       ", neighbour_stats(real, k)))
    print("  " + format_stats("papers mixture    ", neighbour_stats(mixture.sample(rng, len(real)), k)))
    print("  " + format_stats("isotropic topics  ", neighbour_stats(isotropic_topics(rng, len(real), centres), k)))


def load(conn, n: int, draw, chunk: int = 50_000) -> float:
    started = time.perf_counter()
    conn.execute("DROP TABLE IF EXISTS bench_ann, bench_ann_queries")
    conn.execute(f"CREATE UNLOGGED TABLE bench_ann (id integer PRIMARY KEY, v vector({DIMS}))")
    with conn.cursor() as cursor, cursor.copy("COPY bench_ann (id, v) FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["int4", "vector"])
        for start in range(0, n, chunk):
            for offset, vector in enumerate(draw(min(chunk, n - start))):
                copy.write_row((start + offset, vector))
    conn.execute("VACUUM ANALYZE bench_ann")
    return time.perf_counter() - started


# The top-k query per index; %(q)s is the query vector. The distance returned is always the exact one.
SEARCH = {
    "vector": "SELECT id, v <=> %(q)s FROM bench_ann ORDER BY v <=> %(q)s LIMIT %(k)s",
    "halfvec": f"SELECT id, v <=> %(q)s FROM bench_ann ORDER BY v::halfvec({DIMS}) <=> %(q)s::halfvec({DIMS}) LIMIT %(k)s",
    "bit": (
        "SELECT id, v <=> %(q)s AS distance FROM (SELECT id, v FROM bench_ann "
        f"ORDER BY binary_quantize(v)::bit({DIMS}) <~> binary_quantize(%(q)s) LIMIT %(candidates)s) candidates "
        "ORDER BY distance LIMIT %(k)s"
    ),
}
INDEXED = {
    "vector": "v vector_cosine_ops",
    "halfvec": f"(v::halfvec({DIMS})) halfvec_cosine_ops",
    "bit": f"(binary_quantize(v)::bit({DIMS})) bit_hamming_ops",
}


def label(conn, relation: str) -> dict | None:
    """The settings a kept table or index was made with (its comment), or None."""
    row = conn.execute(
        "SELECT obj_description(to_regclass(%s), 'pg_class'), to_regclass(%s) IS NOT NULL", [relation, relation]
    ).fetchone()
    return json.loads(row[0]) if row[1] and row[0] else None


def set_label(conn, kind: str, relation: str, settings: dict) -> None:
    comment = sql.SQL("COMMENT ON {} {} IS {}").format(
        sql.SQL(kind), sql.Identifier(relation), sql.Literal(json.dumps(settings, sort_keys=True))
    )
    conn.execute(comment)


def prepare_table(conn, settings: dict, queries: int, reuse: bool, make_draw) -> np.ndarray:
    """bench_ann with settings["n"] vectors and its queries: the kept ones if they match, else loaded now.

    make_draw() returns draw(size) -> [size, DIMS]; it is only called (a mixture fit, for papers) to load.
    """
    kept = label(conn, "bench_ann") if reuse else None
    if kept is not None and kept == settings:
        stored = conn.execute("SELECT q::real[] FROM bench_ann_queries ORDER BY id LIMIT %s", [queries]).fetchall()
        if len(stored) == queries:
            print(f"reused table bench_ann ({settings}) and its first {queries} queries", flush=True)
            return np.array([row[0] for row in stored], dtype=np.float32)
        print(f"bench_ann holds fewer than {queries} queries: loading again", flush=True)
    elif reuse:
        print(f"no reusable bench_ann (kept: {kept}, wanted: {settings}): loading", flush=True)
    draw = make_draw()
    print(f"loading {settings['n']:,} {settings['vectors']} unit vectors ({DIMS} dims) ...", flush=True)
    print(f"load (COPY + VACUUM ANALYZE): {load(conn, settings['n'], draw):.1f}s", flush=True)
    drawn = draw(queries)
    conn.execute(f"CREATE UNLOGGED TABLE bench_ann_queries (id integer PRIMARY KEY, q vector({DIMS}))")
    with conn.cursor() as cursor:
        cursor.executemany("INSERT INTO bench_ann_queries (id, q) VALUES (%s, %s)", list(enumerate(drawn)))
    set_label(conn, "TABLE", "bench_ann", settings)
    return drawn


def prepare_index(conn, settings: dict, reuse: bool, maintenance_work_mem: str, workers: int) -> float | None:
    """The HNSW index bench_ann_hnsw with these settings; the build's seconds, or None when a kept one matched."""
    kept = label(conn, "bench_ann_hnsw") if reuse else None
    if kept is not None and kept == settings:
        size = conn.execute("SELECT pg_size_pretty(pg_relation_size('bench_ann_hnsw'))").fetchone()[0]
        print(f"reused index bench_ann_hnsw ({settings}), {size}", flush=True)
        return None
    if reuse:
        print(f"no reusable bench_ann_hnsw (kept: {kept}, wanted: {settings}): building", flush=True)
    conn.execute("DROP INDEX IF EXISTS bench_ann_hnsw")
    conn.execute(f"SET maintenance_work_mem = '{maintenance_work_mem}'")
    conn.execute(f"SET max_parallel_maintenance_workers = {workers}")
    started = time.perf_counter()
    conn.execute(
        f"CREATE INDEX bench_ann_hnsw ON bench_ann USING hnsw ({INDEXED[settings['index']]}) "
        f"WITH (m = {settings['m']}, ef_construction = {settings['ef_construction']})"
    )
    build = time.perf_counter() - started
    set_label(conn, "INDEX", "bench_ann_hnsw", settings)
    size = conn.execute("SELECT pg_size_pretty(pg_relation_size('bench_ann_hnsw'))").fetchone()[0]
    print(
        f"HNSW build ({INDEXED[settings['index']]}, m={settings['m']}, ef_construction={settings['ef_construction']}, "
        f"{workers + 1} processes, maintenance_work_mem {maintenance_work_mem}): {build:.1f}s, index {size}",
        flush=True,
    )
    return build


def timed_topk(
    conn, queries: np.ndarray, k: int, index: str = "vector", candidates: int = 0
) -> tuple[list[list[int]], list[float], np.ndarray]:
    """Top-k ids per query, latencies in ms, and the cosine distances [queries, k] (ascending)."""
    answers, latencies, distances = [], [], []
    for query in queries:
        started = time.perf_counter()
        rows = conn.execute(SEARCH[index], {"q": query, "k": k, "candidates": candidates}).fetchall()
        latencies.append((time.perf_counter() - started) * 1000)
        answers.append([row[0] for row in rows])
        distances.append([row[1] for row in rows])
    return answers, latencies, np.array(distances)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--ef", default="20,40,100,200,400", help="ef_search values, comma-separated")
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=64)
    parser.add_argument("--maintenance-work-mem", default="2GB", help="the graph should fit, or the build crawls")
    parser.add_argument(
        "--shared-buffers",
        help="the embedded server's shared_buffers (kept in its var dir; PostgreSQL's default 128MB)",
    )
    parser.add_argument("--keep", action="store_true", help="leave the scratch table behind")
    parser.add_argument(
        "--reuse", action="store_true", help="keep table + index, and skip the load/build when kept ones match"
    )
    parser.add_argument("--vectors", choices=["random", "clustered", "papers"], default="random")
    parser.add_argument("--topics", type=int, default=500, help="clusters, with --vectors clustered")
    parser.add_argument("--papers", default="data/sample/arxiv_papers.jsonl", help="JSONL, with --vectors papers")
    parser.add_argument("--components", type=int, default=30, help="mixture components, with --vectors papers")
    parser.add_argument("--index", choices=sorted(INDEXED), default="vector", help="what the HNSW index holds")
    args = parser.parse_args()
    workers = max((os.cpu_count() or 2) - 1, 1)
    vectors = {"n": args.n, "vectors": args.vectors, "seed": 2026}
    if args.vectors == "clustered":
        vectors["topics"] = args.topics
    elif args.vectors == "papers":
        vectors.update(papers=os.path.basename(args.papers), components=args.components)

    def make_draw():
        rng = np.random.default_rng(vectors["seed"])
        if args.vectors == "clustered":
            centres = random_unit_vectors(rng, args.topics)
            return lambda size: isotropic_topics(rng, size, centres)
        if args.vectors == "papers":
            real = paper_vectors(args.papers)
            mixture = PaperMixture.fit(real, args.components)
            realism_check(real, mixture, np.random.default_rng(0), args.k)
            return lambda size: mixture.sample(rng, size)
        return lambda size: random_unit_vectors(rng, size)

    with database_url(args.shared_buffers) as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector(conn)
        version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
        shared_buffers = conn.execute("SHOW shared_buffers").fetchone()[0]
        print(
            f"machine: {machine()}; PostgreSQL {conn.info.server_version}, pgvector {version}, "
            f"shared_buffers {shared_buffers}"
        )
        queries = prepare_table(conn, vectors, args.queries, args.reuse, make_draw)
        conn.execute(f"SET max_parallel_workers_per_gather = {workers}")

        conn.execute("SET enable_indexscan = off")  # a kept index must not answer for the exact scan
        timed_topk(conn, queries[:3], args.k)  # warm the cache
        exact, exact_ms, exact_distances = timed_topk(conn, queries, args.k)
        conn.execute("RESET enable_indexscan")
        print(f"exact scan: p50 {percentile(exact_ms, 50):.1f} ms, p95 {percentile(exact_ms, 95):.1f} ms", flush=True)
        cosines = 1.0 - exact_distances
        print(
            f"queries' neighbours at n = {args.n:,}: cos_1nn {np.median(cosines[:, 0]):.3f}, "
            f"cos_{args.k}nn {np.median(cosines[:, -1]):.3f}, lid {np.mean(lid_mle(cosine_to_distance(cosines))):.1f}",
            flush=True,
        )

        index = {"index": args.index, "m": args.m, "ef_construction": args.ef_construction}
        build = prepare_index(conn, index, args.reuse, args.maintenance_work_mem, workers)
        built = f"HNSW build {build:.1f}s" if build is not None else "HNSW index reused"

        rows = []
        efs = [int(value) for value in args.ef.split(",")]
        # Every query once at the widest walk, untimed: the first row is not the one that pays for the cache.
        conn.execute(f"SET hnsw.ef_search = {max(efs)}")
        timed_topk(conn, queries, args.k, args.index, max(efs))
        for ef in efs:
            conn.execute(f"SET hnsw.ef_search = {ef}")
            timed_topk(conn, queries[:3], args.k, args.index, ef)
            answers, latency, _ = timed_topk(conn, queries, args.k, args.index, ef)
            plan = conn.execute("EXPLAIN " + SEARCH[args.index], {"q": queries[0], "k": args.k, "candidates": ef})
            assert "bench_ann_hnsw" in "\n".join(row[0] for row in plan), "the HNSW index was not used"
            recall = np.mean([len(set(a) & set(e)) / args.k for a, e in zip(answers, exact)])
            p50, p95 = percentile(latency, 50), percentile(latency, 95)
            rows.append((ef, p50, p95, recall, percentile(exact_ms, 50) / p50))

        print(
            f"\n{args.n:,} vectors, {args.queries} queries, top-{args.k}; exact p50 {percentile(exact_ms, 50):.1f} ms, "
            f"p95 {percentile(exact_ms, 95):.1f} ms; {built}\n"
        )
        print(f"| ef_search | p50 ms | p95 ms | recall@{args.k} | speed-up (p50) over exact |")
        print("|---:|---:|---:|---:|---:|")
        for ef, p50, p95, recall, speedup in rows:
            print(f"| {ef} | {p50:.2f} | {p95:.2f} | {recall:.3f} | {speedup:.0f}x |")
        if not (args.keep or args.reuse):
            conn.execute("DROP TABLE bench_ann, bench_ann_queries")


if __name__ == "__main__":
    main()
