"""pgvector HNSW against exact search, side by side in one run, on random, clustered or paper-like vectors.

    python bench/ann.py                       # 100,000 x 384, here
    python bench/ann.py --vectors clustered   # around 500 topics, isotropic noise: the pessimistic case
    python bench/ann.py --vectors papers --papers /work/shared/data/arxiv/arxiv_recsys_ir_papers.jsonl
                                              # a mixture fitted to real paper embeddings, checked against them
    python bench/ann.py --vectors papers --index halfvec --m 24 --ef-construction 128   # index variants
    python bench/ann.py --n 1000000 --queries 100 --maintenance-work-mem 8GB   # unattended, bigger machine

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
"""

import argparse
import os
import time

import numpy as np
import psycopg
from _stack import database_url, machine, percentile
from pgvector.psycopg import register_vector
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
    conn.execute("DROP TABLE IF EXISTS bench_ann")
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
    parser.add_argument("--keep", action="store_true", help="leave the scratch table behind")
    parser.add_argument("--vectors", choices=["random", "clustered", "papers"], default="random")
    parser.add_argument("--topics", type=int, default=500, help="clusters, with --vectors clustered")
    parser.add_argument("--papers", default="data/sample/arxiv_papers.jsonl", help="JSONL, with --vectors papers")
    parser.add_argument("--components", type=int, default=30, help="mixture components, with --vectors papers")
    parser.add_argument("--index", choices=sorted(INDEXED), default="vector", help="what the HNSW index holds")
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    draw = lambda size: random_unit_vectors(rng, size)  # noqa: E731
    if args.vectors == "clustered":
        centres = random_unit_vectors(rng, args.topics)
        draw = lambda size: isotropic_topics(rng, size, centres)  # noqa: E731
    elif args.vectors == "papers":
        real = paper_vectors(args.papers)
        mixture = PaperMixture.fit(real, args.components)
        realism_check(real, mixture, np.random.default_rng(0), args.k)
        draw = lambda size: mixture.sample(rng, size)  # noqa: E731
    workers = max((os.cpu_count() or 2) - 1, 1)

    with database_url() as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector(conn)
        version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
        print(f"machine: {machine()}; PostgreSQL {conn.info.server_version}, pgvector {version}")
        print(f"loading {args.n:,} {args.vectors} unit vectors ({DIMS} dims) ...", flush=True)
        print(f"load (COPY + VACUUM ANALYZE): {load(conn, args.n, draw):.1f}s", flush=True)
        queries = draw(args.queries)
        conn.execute(f"SET max_parallel_workers_per_gather = {workers}")

        timed_topk(conn, queries[:3], args.k)  # warm the cache
        exact, exact_ms, exact_distances = timed_topk(conn, queries, args.k)
        print(f"exact scan: p50 {percentile(exact_ms, 50):.1f} ms, p95 {percentile(exact_ms, 95):.1f} ms", flush=True)
        cosines = 1.0 - exact_distances
        print(
            f"queries' neighbours at n = {args.n:,}: cos_1nn {np.median(cosines[:, 0]):.3f}, "
            f"cos_{args.k}nn {np.median(cosines[:, -1]):.3f}, lid {np.mean(lid_mle(cosine_to_distance(cosines))):.1f}",
            flush=True,
        )

        conn.execute(f"SET maintenance_work_mem = '{args.maintenance_work_mem}'")
        conn.execute(f"SET max_parallel_maintenance_workers = {workers}")
        started = time.perf_counter()
        conn.execute(
            f"CREATE INDEX bench_ann_hnsw ON bench_ann USING hnsw ({INDEXED[args.index]}) "
            f"WITH (m = {args.m}, ef_construction = {args.ef_construction})"
        )
        build = time.perf_counter() - started
        size = conn.execute("SELECT pg_size_pretty(pg_relation_size('bench_ann_hnsw'))").fetchone()[0]
        print(
            f"HNSW build ({INDEXED[args.index]}, m={args.m}, ef_construction={args.ef_construction}, {workers + 1} processes): "
            f"{build:.1f}s, index {size}",
            flush=True,
        )

        rows = []
        for ef in [int(value) for value in args.ef.split(",")]:
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
            f"p95 {percentile(exact_ms, 95):.1f} ms; HNSW build {build:.1f}s\n"
        )
        print(f"| ef_search | p50 ms | p95 ms | recall@{args.k} | speed-up (p50) over exact |")
        print("|---:|---:|---:|---:|---:|")
        for ef, p50, p95, recall, speedup in rows:
            print(f"| {ef} | {p50:.2f} | {p95:.2f} | {recall:.3f} | {speedup:.0f}x |")
        if not args.keep:
            conn.execute("DROP TABLE bench_ann")


if __name__ == "__main__":
    main()
