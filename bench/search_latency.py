"""/search/ latency, p50/p95 per mode, on a table of 100,000 papers (synthetic, built from the sample).

    python bench/search_latency.py             # builds the table once under var/bench, then measures
    python bench/search_latency.py --n 100000 --rounds 3
    python bench/search_latency.py --explain   # also each query's parts, timed in process and by EXPLAIN
    python bench/search_latency.py --top-out before.json     # page-one results per case and query ...
    python bench/search_latency.py --top-compare before.json # ... and their overlap with another run's
    python bench/search_latency.py --shared-buffers 128MB    # PostgreSQL's own default (config/embedded.py: 1GB)

The papers are synthetic: each of the 560 real sample papers seeds ~180 variants, with its title, an
abstract made of sentences from it and two other sample abstracts, its authors and categories, a random
announcement date over two years, and its real all-MiniLM-L6-v2 vector plus noise (cosine ~0.9 to the
seed), so full-text and ANN work on realistic text and a clustered vector space. Requests go through
Django's test client (URL routing, form, selectors, templates; no network), with the real model
embedding each query. Model loading and a warm-up round are excluded.
"""

import argparse
import datetime as dt
import json
import os
import random
import re
import time

import numpy as np
from _stack import ROOT, database_url, machine, percentile, sample_paper

QUERIES = [
    "sequential recommendation",
    "graph neural networks for recommendation",
    "cold start",
    "click-through rate prediction",
    "large language models as recommenders",
    "contrastive learning",
    "retrieval augmented generation",
    "two-tower retrieval",
    "conversational recommender systems",
    "fairness in ranking",
    "dense passage retrieval",
    "user interest modeling from behavior sequences",
    "multimodal product search",
    "query rewriting for e-commerce search",
    "evaluation of recommender systems",
    '"knowledge graph" embeddings',
    "reranking with cross-encoders",
    "popularity bias",
    "session-based",
    "how can a shop suggest what a customer buys next",
]
CATEGORIES = ["cs.IR", "cs.LG", "cs.AI", "cs.CL", "stat.ML", "cs.CV", "cs.SI"]
MODEL = "all-MiniLM-L6-v2"


def sample_vectors(rows: list[dict]) -> np.ndarray:
    cached = ROOT / "var" / "bench" / "sample_vectors.npy"
    if cached.exists():
        return np.load(cached)
    from recsys.encoder import load_encoder, paper_text

    vectors = load_encoder().encode([paper_text(r["title"], r["abstract"]) for r in rows], batch_size=32)
    cached.parent.mkdir(parents=True, exist_ok=True)
    np.save(cached, vectors)
    return vectors


def populate(n: int) -> None:
    from django.db import connection

    from apps.embeddings.models import EmbeddingModel
    from apps.papers.models import Paper

    with open(ROOT / "data" / "sample" / "arxiv_papers.jsonl", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    seeds = sample_vectors(rows)
    sentences = [re.split(r"(?<=\.)\s+", row["abstract"]) for row in rows]
    rng, pick = np.random.default_rng(7), random.Random(7)
    start = dt.date(2024, 6, 1)
    print(f"creating {n:,} synthetic papers ...", flush=True)
    for offset in range(0, n, 5000):
        batch = []
        for i in range(offset, min(offset + 5000, n)):
            row = rows[i % len(rows)]
            text = sentences[i % len(rows)][:3] + pick.choice(sentences)[:2] + pick.choice(sentences)[:2]
            announced = start + dt.timedelta(days=pick.randrange(730))
            paper = sample_paper(row, arxiv_id=f"{2400 + i // 90000}.{10000 + i % 90000}", announced=announced)
            paper.abstract = " ".join(text)
            paper.categories = [row["categories"][0]] + pick.sample(CATEGORIES, 1)
            batch.append(paper)
        Paper.objects.bulk_create(batch)
        print(f"  {offset + len(batch):,}", flush=True)
    print("embedding vectors (seed + noise), bulk load, HNSW build ...", flush=True)
    ids = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        # the index as the migrations made it, built again after the load (quicker than one insert at a time)
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'paperembedding_hnsw_cosine'")
        (graph,) = cursor.fetchone()
        cursor.execute("DROP INDEX paperembedding_hnsw_cosine")
        with cursor.copy(
            "COPY embeddings_paperembedding (paper_id, model_name, paper_version, vector, created_at) FROM STDIN"
        ) as copy:
            for i, paper_id in enumerate(ids):
                noise = rng.standard_normal(384).astype(np.float32)
                vector = seeds[i % len(seeds)] + 0.5 * noise / np.linalg.norm(noise)
                vector /= np.linalg.norm(vector)
                copy.write_row((paper_id, MODEL, 1, "[" + ",".join(f"{x:.6f}" for x in vector) + "]", "now"))
        cursor.execute("SET maintenance_work_mem = '1GB'")
        started = time.perf_counter()
        cursor.execute(graph)
        print(f"  HNSW build over {len(ids):,} vectors: {time.perf_counter() - started:.1f}s", flush=True)
        cursor.execute("VACUUM ANALYZE")
    EmbeddingModel.objects.update_or_create(name=MODEL, defaults={"status": EmbeddingModel.Status.ACTIVE})


FILTERS = {"category": "cs.IR", "date_from": "2025-01-01", "date_to": "2025-12-31"}
CASES = {
    "hybrid": {},
    "keyword": {"mode": "keyword"},
    "semantic": {"mode": "semantic"},
    "hybrid + category + dates": FILTERS,
    "keyword + category + dates": {"mode": "keyword", **FILTERS},
    "semantic + category + dates": {"mode": "semantic", **FILTERS},
    # 4 % of the papers: under EXACT_SCAN_MAX_PAPERS, so an exact scan rather than the graph
    "semantic + one month": {"mode": "semantic", "date_from": "2025-03-01", "date_to": "2025-03-31"},
}


def forget_query_vectors() -> None:
    from apps.search import selectors

    if hasattr(selectors, "query_vector"):  # absent before the cache was added: --top-out on older code
        selectors.query_vector.cache_clear()


def relayout() -> None:
    """A table built before papers 0004 keeps search vectors out of line: rewrite it once, as that
    migration's note says an existing catalogue should be (a table built since is already laid out)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM papers_paper WHERE pg_column_toast_chunk_id(search_vector) IS NOT NULL LIMIT 1")
        if cursor.fetchone() is None:
            return
        print("rewriting papers_paper: search vectors into the rows (VACUUM FULL) ...", flush=True)
        cursor.execute("VACUUM FULL ANALYZE papers_paper")


def measure(rounds: int) -> dict[str, dict[str, list[str]]]:
    """Prints the latency table; returns page one's arXiv ids per case and query."""
    from django.test import Client

    client = Client()
    for params in CASES.values():  # warm-up: model load, caches, plans
        for query in QUERIES[:3]:
            client.get("/search/", {"q": query, **params})
    print("\n| case | requests | p50 ms | p95 ms | max ms | median results |")
    print("|---|---:|---:|---:|---:|---:|")
    tops: dict[str, dict[str, list[str]]] = {}
    for name, params in CASES.items():
        latencies, counts = [], []
        for _ in range(rounds):
            for query in QUERIES:
                forget_query_vectors()
                started = time.perf_counter()
                response = client.get("/search/", {"q": query, **params})
                latencies.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.status_code
                found = re.search(rb"([\d,]+)\+? results? in", response.content)
                counts.append(int(found.group(1).replace(b",", b"")) if found else 0)
                tops.setdefault(name, {})[query] = re.findall(r'id="result-([^"]+)"', response.content.decode())
        print(
            f"| {name} | {len(latencies)} | {percentile(latencies, 50):.0f} | {percentile(latencies, 95):.0f} "
            f"| {max(latencies):.0f} | {int(np.median(counts))} |",
            flush=True,
        )
    return tops


def compare(tops: dict, before: dict) -> None:
    """Page one against another run's (older code, same table): shared papers and the same first one."""
    print("\n| case | queries | mean overlap of page one | same first result |")
    print("|---|---:|---:|---:|")
    for name, by_query in tops.items():
        overlaps, firsts = [], []
        for query, ids in by_query.items():
            old = before.get(name, {}).get(query)
            if old is None:
                continue
            overlaps.append(len(set(ids) & set(old)) / max(len(old), len(ids)) if old or ids else 1.0)
            firsts.append(ids[:1] == old[:1])
        if overlaps:
            print(f"| {name} | {len(overlaps)} | {np.mean(overlaps):.3f} | {sum(firsts)}/{len(firsts)} |")


def timed(run, repeat: int = 3) -> float:
    """Best of `repeat` wall-clock runs, in ms: the cost of the work, less the machine's noise."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def explain(sql: str, params) -> float:
    """PostgreSQL's own execution time for one statement, in ms."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        return cursor.fetchone()[0][0]["Execution Time"]


def breakdown() -> None:
    """Each query's parts: encoder, keyword page one as the app gets it (title bound for broad queries) and
    by ranking every match, and the capped count, all without filters (the most matches); ANN with filters
    (the longest iterative scan); snippets for page one."""
    import datetime as day

    from apps.embeddings.selectors import active_model, encoder_for
    from apps.search.queries import SearchFilters

    model = active_model()
    encoder = encoder_for(model)
    filters = SearchFilters(category="cs.IR", date_from=day.date(2025, 1, 1), date_to=day.date(2025, 12, 31))
    print("\nPer query, best of 3 in process (ms); EXPLAIN ANALYZE execution time of the SQL in brackets.")
    print("\n| query | matches | encode | keyword page one | ranking every match | count | ANN, filters | snippets |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for query in QUERIES:
        print(query_parts(query, encoder=encoder, model_name=model.name, filters=filters), flush=True)


def query_parts(query: str, *, encoder, model_name: str, filters) -> str:
    from apps.embeddings.selectors import hnsw_search, nearest_queryset
    from apps.papers.models import Paper
    from apps.search.queries import SearchFilters
    from apps.search.selectors import CANDIDATES
    from apps.search.selectors.keyword import COUNT_CAP, CappedMatches, keyword_count, keyword_matches, with_highlights

    everything = SearchFilters().as_q()
    encode_ms = timed(lambda: encoder.encode([query]))
    ranked = keyword_matches(query=query, paper_filter=everything)[:20]
    capped = CappedMatches(query=query, paper_filter=everything)
    capped.count()  # counted in its own column
    page = list(capped[0:20])
    page_ms = timed(lambda: list(capped[0:20]))
    rank_ms, rank_sql = timed(lambda: list(ranked.all())), explain(*ranked.query.sql_with_params())
    found = keyword_count(query=query, paper_filter=everything, cap=COUNT_CAP)
    count_ms = timed(lambda: keyword_count(query=query, paper_filter=everything, cap=COUNT_CAP))
    vector = encoder.encode([query])[0]
    nearest = nearest_queryset(vector=vector, model_name=model_name, limit=CANDIDATES, paper_filter=filters.as_q())
    with hnsw_search(CANDIDATES):
        ann_ms, ann_sql = timed(lambda: list(nearest.all())), explain(*nearest.query.sql_with_params())
    snippets_ms = timed(lambda: list(with_highlights(Paper.objects.filter(pk__in=page), query)))
    return (
        f"| {query} | {found:,}{'+' if found > COUNT_CAP else ''} | {encode_ms:.0f} | {page_ms:.0f} "
        f"| {rank_ms:.0f} [{rank_sql:.0f}] "
        f"| {count_ms:.0f} | {ann_ms:.0f} [{ann_sql:.0f}] | {snippets_ms:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="also time each query's parts")
    parser.add_argument("--top-out", help="write page one's arXiv ids per case and query to this JSON file")
    parser.add_argument("--top-compare", help="compare page one with a --top-out file from another run")
    parser.add_argument("--shared-buffers", help="the embedded server's shared_buffers (kept in its var dir)")
    args = parser.parse_args()
    with database_url(args.shared_buffers):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        os.environ.setdefault("CELERY_BROKER_URL", "memory://")
        import django

        django.setup()
        from django.core.management import call_command

        from apps.papers.models import Paper

        call_command("migrate", verbosity=0)
        if Paper.objects.count() != args.n:
            Paper.objects.all().delete()
            populate(args.n)
        relayout()
        print(f"machine: {machine()}; {Paper.objects.count():,} papers, {args.rounds} rounds x {len(QUERIES)} queries")
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW shared_buffers")
            print(f"PostgreSQL shared_buffers: {cursor.fetchone()[0]}")
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1, 5, 15 min)")
        tops = measure(args.rounds)
        if args.top_out:
            with open(args.top_out, "w", encoding="utf-8") as out:
                json.dump(tops, out, indent=1)
        if args.top_compare:
            with open(args.top_compare, encoding="utf-8") as before:
                compare(tops, json.load(before))
        if args.explain:
            breakdown()
        print(f"load after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
