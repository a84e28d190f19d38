"""The whole archive ranked for one reader: "For you" (pgvector HNSW) beside arxiv-sanity-lite's method.

    RETRIEVER_VAR_DIR=var/bench python -m config.devstack exec python bench/archive_rank.py \
        [--papers 100000] [--readers 10000] [--queries 40] [--svm-queries 8]

Same papers and readers as bench/digest_load.py (built once, kept under var/bench). An active two-tower
model version is made from an untrained network (the ranking's cost does not depend on the weights), with
item vectors for every paper. Timed per request, for `--queries` readers:

- "For you": rank_archive(depth=100), the first page's ranking (five pages deep), the whole archive and a
  window (since a year ago, in cs.IR); "cold" includes computing the reader's vector, "warm" reads it back.
- arxiv-sanity-lite, reimplemented as its compute.py and serve.py do it: TF-IDF over title + abstract +
  authors (word 1-2-grams, sublinear tf, 10,000 features, min_df 5, max_df 0.5; built once, not timed),
  then per request a LinearSVC (class_weight balanced, C 0.01, tol 1e-6) trained on the whole archive
  with the reader's liked and saved papers as positives, and every paper scored and sorted.
"""

import argparse
import datetime as dt
import time

import numpy as np
import torch
from _stack import machine, percentile
from digest_load import NEWEST, build_catalogue, build_readers
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from sklearn import svm
from sklearn.feature_extraction.text import TfidfVectorizer

from apps.embeddings.models import PaperEmbedding
from apps.papers.models import Paper
from apps.recommendations.models import Interaction, ItemVector, ModelVersion, ReaderVector
from apps.recommendations.ranking.archive import rank_archive
from apps.recommendations.services.training import item_vectors
from recsys.checkpoint import save_checkpoint
from recsys.model import ModelConfig, TwoTower

DEPTH = 100
BATCH = 20_000
ITEM_INDEX = (
    "CREATE INDEX itemvector_hnsw_ip ON recommendations_itemvector USING hnsw (vector vector_ip_ops) "
    "WITH (m = 16, ef_construction = 64)"
)


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
    while rows := list(
        PaperEmbedding.objects.filter(paper_id__gt=last).order_by("paper_id").values_list("paper_id", "vector")[:BATCH]
    ):
        with torch.no_grad():
            vectors = item_vectors(model, np.stack([np.asarray(v, dtype=np.float32) for _, v in rows]))
        ItemVector.objects.bulk_create(
            ItemVector(model_version=version, paper_id=pid, vector=v) for (pid, _), v in zip(rows, vectors)
        )
        last = rows[-1][0]
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute(ITEM_INDEX)
        cursor.execute("ANALYZE recommendations_itemvector")
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
    vectorizer = TfidfVectorizer(
        input="content",
        encoding="utf-8",
        decode_error="replace",
        strip_accents="unicode",
        lowercase=True,
        analyzer="word",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=10_000,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=True,
        max_df=0.5,
        min_df=5,
    )
    rows = list(Paper.objects.order_by("id").values_list("id", "title", "abstract", "authors_text"))
    corpus = [" ".join([title, abstract, authors.replace(",", " ")]) for _, title, abstract, authors in rows]
    vectorizer.fit(corpus)
    return [row[0] for row in rows], vectorizer.transform(corpus).astype(np.float32)


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
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    rng = np.random.default_rng(0)
    build_catalogue(args.papers, rng)
    reader_ids = build_readers(args.readers, rng)
    active_version(args.papers)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    users = list(get_user_model().objects.filter(id__in=reader_ids[: args.queries]))
    ReaderVector.objects.filter(user__in=users).delete()
    window = Q(announced__gte=NEWEST - dt.timedelta(days=365), categories__contains=["cs.IR"])
    rank_archive(user=users[-1], paper_filter=Q(), depth=DEPTH)  # warm-up: the model file, connections

    cold, warm, windowed, methods = [], [], [], set()
    for user in users:
        elapsed, (ids, method) = time_ms(lambda user=user: rank_archive(user=user, paper_filter=Q(), depth=DEPTH))
        cold.append(elapsed)
        methods.add(method)
        assert len(ids) == DEPTH, len(ids)
        warm.append(time_ms(lambda user=user: rank_archive(user=user, paper_filter=Q(), depth=DEPTH))[0])
        windowed.append(time_ms(lambda user=user: rank_archive(user=user, paper_filter=window, depth=DEPTH))[0])

    started = time.perf_counter()
    paper_ids, x = tfidf_features(args.papers)
    tfidf_seconds = time.perf_counter() - started
    index = {pid: i for i, pid in enumerate(paper_ids)}
    svm_times, tags = [], []
    for user in users[: args.svm_queries]:
        positives = list(
            Interaction.objects.filter(user=user, kind__in=["like", "save"]).values_list("paper_id", flat=True)
        )
        tags.append(len(positives))
        svm_times.append(time_ms(lambda positives=positives: svm_rank(x, index, positives))[0])

    print(f"machine: {machine()}; papers={args.papers}, readers={args.readers}, methods used: {sorted(methods)}")
    print(f"TF-IDF features {x.shape} built in {tfidf_seconds:.1f}s (once; not in the request times)")
    print(f"arxiv-sanity positives per reader (likes + saves): {sorted(set(tags))}")
    print("| ranking | requests | p50 ms | p95 ms |\n|---|---:|---:|---:|")
    print(summary("For you, whole archive, reader vector cached (warm)", warm))
    print(summary("For you, whole archive, reader vector computed (cold)", cold))
    print(summary("For you, since a year ago in cs.IR (warm)", windowed))
    print(summary("arxiv-sanity-lite: per-request LinearSVC over TF-IDF", svm_times))
    print(
        f"speed-up at p50 (SVM / For you warm): {percentile(svm_times, 50) / percentile(warm, 50):.0f}x; "
        f"at p95: {percentile(svm_times, 95) / percentile(warm, 95):.0f}x"
    )


if __name__ == "__main__":
    main()
