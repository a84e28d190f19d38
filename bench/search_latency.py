"""/search/ latency, p50/p95 per mode, on a table of 100,000 papers (synthetic, built from the sample).

    python bench/search_latency.py             # builds the table once under var/bench, then measures
    python bench/search_latency.py --n 100000 --rounds 3

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
from _stack import ROOT, database_url, machine, percentile

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
            when = dt.datetime.combine(announced, dt.time(12), tzinfo=dt.UTC)
            categories = [row["categories"][0]] + pick.sample(CATEGORIES, 1)
            batch.append(
                Paper(
                    arxiv_id=f"{2400 + i // 90000}.{10000 + i % 90000}",
                    title=row["title"],
                    abstract=" ".join(text),
                    authors_text=", ".join(row["authors"]),
                    primary_category=categories[0],
                    categories=categories,
                    published=when,
                    updated=when,
                    announced=announced,
                )
            )
        Paper.objects.bulk_create(batch)
        print(f"  {offset + len(batch):,}", flush=True)
    print("embedding vectors (seed + noise), bulk load, HNSW build ...", flush=True)
    ids = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS paperembedding_hnsw_cosine")
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
        cursor.execute(
            "CREATE INDEX paperembedding_hnsw_cosine ON embeddings_paperembedding "
            "USING hnsw (vector vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
        )
        print(f"  HNSW build over {len(ids):,} vectors: {time.perf_counter() - started:.1f}s", flush=True)
        cursor.execute("VACUUM ANALYZE")
    EmbeddingModel.objects.update_or_create(name=MODEL, defaults={"status": EmbeddingModel.Status.ACTIVE})


def measure(rounds: int) -> None:
    from django.test import Client

    client = Client()
    cases = {
        "hybrid": {},
        "keyword": {"mode": "keyword"},
        "semantic": {"mode": "semantic"},
        "hybrid + category + dates": {"category": "cs.IR", "date_from": "2025-01-01", "date_to": "2025-12-31"},
    }
    for params in cases.values():  # warm-up: model load, caches, plans
        for query in QUERIES[:3]:
            client.get("/search/", {"q": query, **params})
    print("\n| case | requests | p50 ms | p95 ms | median results |")
    print("|---|---:|---:|---:|---:|")
    for name, params in cases.items():
        latencies, counts = [], []
        for _ in range(rounds):
            for query in QUERIES:
                started = time.perf_counter()
                response = client.get("/search/", {"q": query, **params})
                latencies.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.status_code
                found = re.search(rb"(\d+) results? in", response.content)
                counts.append(int(found.group(1)) if found else 0)
        print(
            f"| {name} | {len(latencies)} | {percentile(latencies, 50):.0f} | {percentile(latencies, 95):.0f} "
            f"| {int(np.median(counts))} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with database_url():
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
        print(f"machine: {machine()}; {Paper.objects.count():,} papers, {args.rounds} rounds x {len(QUERIES)} queries")
        measure(args.rounds)


if __name__ == "__main__":
    main()
