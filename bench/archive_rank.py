"""The whole archive ranked for one reader: "For you" (pgvector HNSW) beside arxiv-sanity-lite's method.

    RETRIEVER_VAR_DIR=var/bench python -m config.devstack exec python bench/archive_rank.py \
        [--papers 100000] [--readers 10000] [--queries 40] [--svm-queries 8] [--recall-ef 100,200,400] [--recall-only]

Same papers and readers as bench/digest_load.py (bench/_catalogue.py: built once, kept under var/bench;
the papers and their text vectors are generated in the database and loaded by binary COPY, with the
secondary indexes built after the load, so a million papers take minutes, not hours). An active two-tower
model version is made from an untrained network (the ranking's cost does not depend on the weights), with
item vectors for every paper, and item-item neighbours (the served score's sparse part, recsys/neighbors.py)
built over the readers' interactions: cosine co-occurrence, each paper's `--neighbors-k` strongest. Timed
per request, for `--queries` readers:

- The walk's recall, first (alone with `--recall-only`): For you with the inner product alone (a checkpoint
  without neighbours, so the page is the walk's top 20 or 100) at each of `--recall-ef`
  (RETRIEVER_FOR_YOU_EF_SEARCH), against the exact top by inner product over every paper the reader may
  see. The untrained model's item vectors all lie close together, which the walk finds hard (a trained
  model's lengths and spread: bench/item_walk.py --vectors text).

- "For you": rank_archive(depth=100), the first page's ranking (five pages deep), the whole archive and
  two windows (a year and a month, in cs.IR); "cold" includes computing the reader's vector, "warm" reads
  it back. The warm whole-archive request is also timed with a checkpoint without neighbours (the inner
  product alone, as before them), alternating with the one with them. Each window is also ranked by the HNSW walk alone and by the exact scan alone (the app picks
  one by the window's estimated size), with the walk's recall@100 against the exact answer.
- The neighbours' weights times each of `--neighbors-scales` (the bench's cosines are small beside the
  untrained model's inner products, so as built they move no paper; scaled, they do), warm, pruned as the
  app does and with every neighbour candidate read as before pruning, alternating: how many candidates
  each reads, whether the pages agree, how many papers the neighbours change against the inner product.
- arxiv-sanity-lite: a LinearSVC over TF-IDF trained per request on the whole archive, as its compute.py
  and serve.py do it (bench/_arxiv_sanity.py; the TF-IDF built once, not timed).
"""

import argparse
import datetime as dt
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import torch  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from pgvector.psycopg import register_vector  # noqa: E402

from apps.embeddings.models import PaperEmbedding  # noqa: E402
from apps.embeddings.selectors import VECTOR_BINARY, from_binary  # noqa: E402
from apps.papers.models import Paper  # noqa: E402
from apps.recommendations.models import Interaction, ItemVector, ModelVersion, ReaderVector  # noqa: E402
from apps.recommendations.ranking import archive  # noqa: E402
from apps.recommendations.ranking.archive import rank_archive  # noqa: E402
from apps.recommendations.ranking.two_tower import HISTORY_KINDS  # noqa: E402
from apps.recommendations.services.training import checkpoint_extra, item_vectors  # noqa: E402
from bench._arxiv_sanity import svm_rank, tfidf_features  # noqa: E402
from bench._catalogue import NEWEST, build_readers, load_catalogue  # noqa: E402
from bench._stack import machine, percentile  # noqa: E402
from recsys.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from recsys.model import ModelConfig, TwoTower  # noqa: E402
from recsys.neighbors import Neighbors  # noqa: E402

DEPTH = 100
BATCH = 20_000
ITEM_INDEX = (
    "CREATE INDEX itemvector_hnsw_ip ON recommendations_itemvector USING hnsw (vector vector_ip_ops) "
    "WITH (m = 16, ef_construction = 64)"
)


def item_index() -> None:
    """The item vectors' HNSW index, built once after all of them are loaded, unless it is there."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('itemvector_hnsw_ip') IS NOT NULL")
        if cursor.fetchone()[0]:
            return
        print("building the item vectors' HNSW index…", flush=True)
        started = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '2GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 1")
        cursor.execute(ITEM_INDEX)
        cursor.execute("VACUUM ANALYZE recommendations_itemvector")
    print(f"  item vectors' HNSW index in {time.perf_counter() - started:.0f}s", flush=True)


def active_version(n: int) -> ModelVersion:
    """An active version with an (untrained) checkpoint and every paper's item vector, built once."""
    version = ModelVersion.objects.filter(checkpoint__contains="bench-").order_by("-pk").first()
    if version and ItemVector.objects.filter(model_version=version).count() == n:
        item_index()  # a run stopped while building it left the vectors without it
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
    item_index()
    version.status = ModelVersion.Status.ACTIVE
    version.save()
    return version


def co_read_neighbors(paper_ids: list[int], k: int) -> Neighbors:
    """Each paper's k strongest co-read papers (cosine over the readers' histories, as item-kNN):
    the neighbours' cost depends on k and on the histories, not on how the weights were learned."""
    row = {paper_id: i for i, paper_id in enumerate(paper_ids)}
    pairs = Interaction.objects.filter(kind__in=HISTORY_KINDS).values_list("user_id", "paper_id")
    users, items = zip(*((user, row[paper]) for user, paper in pairs.iterator(chunk_size=50_000) if paper in row))
    readers = {user: i for i, user in enumerate(dict.fromkeys(users))}
    x = sp.csr_matrix(
        (np.ones(len(items), dtype=np.float32), ([readers[u] for u in users], items)),
        shape=(len(readers), len(paper_ids)),
    )
    x.data[:] = 1.0  # a paper read twice by one reader counts once
    count = np.asarray(x.sum(axis=0)).ravel()  # [n] readers per paper
    co = (x.T @ x).tocsr()  # [n, n] readers in common
    co.setdiag(0)
    co.eliminate_zeros()
    sources, targets, weights = [], [], []
    for i in np.flatnonzero(np.diff(co.indptr)):
        cols, common = co.indices[co.indptr[i] : co.indptr[i + 1]], co.data[co.indptr[i] : co.indptr[i + 1]]
        cosine = common / np.sqrt(count[i] * count[cols])
        top = np.argsort(-cosine, kind="stable")[:k]
        sources.append(np.full(len(top), i))
        targets.append(cols[top])
        weights.append(cosine[top])
    return Neighbors.from_lists(
        np.concatenate(sources), np.concatenate(targets), np.concatenate(weights), len(paper_ids), k
    )


def neighbour_checkpoints(version: ModelVersion, k: int) -> tuple[str, str]:
    """(with neighbours, without) beside the version's checkpoint: the same network and catalogue."""
    base = version.checkpoint.split("-nb")[0].removesuffix(".pt")
    with_them, without = f"{base}-nb{k}.pt", f"{base}-nb0.pt"
    if not Path(with_them).exists():
        print(f"building item-item neighbours (k={k}) over the readers' histories…", flush=True)
        started = time.perf_counter()
        model, _ = load_checkpoint(f"{base}.pt")
        paper_ids = list(PaperEmbedding.objects.order_by("paper_id").values_list("paper_id", flat=True))
        neighbors = co_read_neighbors(paper_ids, k)
        save_checkpoint(with_them, model, checkpoint_extra(paper_ids, {}, neighbors))
        save_checkpoint(without, model, checkpoint_extra(paper_ids, {}, None))
        filled = neighbors.lengths()
        print(
            f"  {int((filled > 0).sum()):,} papers with neighbours, {filled[filled > 0].mean():.0f} each on average, "
            f"in {time.perf_counter() - started:.0f}s",
            flush=True,
        )
    return with_them, without


def scaled_checkpoint(path: str, scale: float) -> str:
    """The checkpoint at `path` with its neighbours' weights times `scale` (1: `path` itself)."""
    if scale == 1:
        return path
    scaled = path.removesuffix(".pt") + f"x{scale:g}.pt"
    if not Path(scaled).exists():
        model, extra = load_checkpoint(path)
        neighbors = Neighbors.from_extra(extra["neighbors"])
        save_checkpoint(scaled, model, {**extra, "neighbors": neighbors.strongest(neighbors.k, scale).to_extra()})
    return scaled


READS: list[tuple[int, int, float]] = []  # (candidates beyond the walk, how many read, the walk's last score)


def counted_can_reach(sums, floor, lifts, depth, real=archive.can_reach):
    reach = real(sums, floor, lifts, depth)
    READS.append((len(lifts), int(reach.sum()), floor))
    return reach


def above_the_walk(user, version: ModelVersion, paper_ids: set[int], floor: float) -> int:
    """How many of `paper_ids` have an inner product above `floor`: papers the walk missed."""
    reader = np.asarray(ReaderVector.objects.get(user=user).vector, dtype=np.float64)
    vectors = ItemVector.objects.filter(model_version=version, paper_id__in=paper_ids).values_list("vector", flat=True)
    return sum(float(np.asarray(vector) @ reader) > floor for vector in vectors)


archive.can_reach = counted_can_reach


@contextmanager
def every_candidate_read(walk: float = 1):
    """Every neighbour candidate's vector read, the walk `walk` times the page's depth (1: as before
    pruning)."""
    walk, reach = archive.NEIGHBOUR_WALK, archive.can_reach
    archive.NEIGHBOUR_WALK, archive.can_reach = walk, lambda sums, floor, lifts, depth: np.ones(len(lifts), dtype=bool)
    try:
        yield
    finally:
        archive.NEIGHBOUR_WALK, archive.can_reach = walk, reach


def walk_recall(users, version: ModelVersion, path: str, ef_searches: list[int], depths: list[int]) -> dict:
    """{(ef_search, depth): (recalls, milliseconds)}: For you with the inner product alone (`path`, a
    checkpoint without neighbours, so the page is the walk's top `depth`), against the exact top `depth`
    of the same papers (visible, not dismissed) by the inner product, computed here from every vector."""
    # In pgvector's binary form into one preallocated array: as Python lists of floats the vectors took
    # ~11 GB at a million papers, and the process was killed before np.stack.
    rows = ItemVector.objects.filter(model_version=version).order_by("paper_id")
    count = rows.count()
    paper_ids, vectors = np.empty(count, dtype=np.int64), None
    for row, (paper_id, binary) in enumerate(
        rows.annotate(binary=VECTOR_BINARY).values_list("paper_id", "binary").iterator(chunk_size=20_000)
    ):
        vector = from_binary(binary)
        if vectors is None:
            vectors = np.empty((count, len(vector)), dtype=np.float32)
        paper_ids[row], vectors[row] = paper_id, vector
    serve_checkpoint(version, path, users[0])
    exact = {}
    for user in users:
        rank_archive(user=user, paper_filter=Q(), depth=DEPTH)  # the reader's vector, cached
        reader = np.asarray(ReaderVector.objects.get(user=user).vector, dtype=np.float32)
        shown = np.isin(paper_ids, list(archive._candidates(user=user, paper_filter=Q()).values_list("id", flat=True)))
        scores = np.where(shown, vectors @ reader, -np.inf)
        exact[user.pk] = paper_ids[np.lexsort((paper_ids, -scores))[: max(depths)]]
    found = {}
    default = settings.RETRIEVER_FOR_YOU_EF_SEARCH
    for ef_search in ef_searches:
        settings.RETRIEVER_FOR_YOU_EF_SEARCH = ef_search
        for depth in depths:
            recalls, times = [], []
            for user in users:
                elapsed, (page, _) = time_ms(
                    lambda user=user, depth=depth: rank_archive(user=user, paper_filter=Q(), depth=depth)
                )
                times.append(elapsed)
                recalls.append(len(set(page) & set(exact[user.pk][:depth].tolist())) / depth)
            found[ef_search, depth] = recalls, times
    settings.RETRIEVER_FOR_YOU_EF_SEARCH = default
    return found


def serve_checkpoint(version: ModelVersion, path: str, user=None) -> None:
    """Serve `path`; with a user, rank once untimed, so the checkpoint is loaded (a process keeps two)."""
    ModelVersion.objects.filter(pk=version.pk).update(checkpoint=path)
    if user is not None:
        rank_archive(user=user, paper_filter=Q(), depth=DEPTH)


def time_ms(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return (time.perf_counter() - started) * 1000, result


def summary(name: str, values: list[float]) -> str:
    return f"| {name} | {len(values)} | {percentile(values, 50):.1f} | {percentile(values, 95):.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=40, help="readers timed for For you")
    parser.add_argument("--svm-queries", type=int, default=8, help="readers timed for the SVM; 0: none")
    parser.add_argument(
        "--recall-ef",
        default="100,200,400",
        help="comma-separated hnsw.ef_search values at which the walk's recall against the exact top page is measured",
    )
    parser.add_argument("--recall-only", action="store_true", help="measure only the walk's recall and latency")
    parser.add_argument("--no-text-index", action="store_true", help="skip the text vectors' HNSW (unused here)")
    parser.add_argument(
        "--neighbors-k", type=int, default=128, help="item-item neighbours kept per paper (the app: 128)"
    )
    parser.add_argument(
        "--neighbors-scales",
        default="1,30",
        help="comma-separated factors on the neighbours' weights, each timed pruned and unpruned",
    )
    args = parser.parse_args()
    scales = [float(scale) for scale in args.neighbors_scales.split(",")]

    call_command("migrate", verbosity=0)
    rng = np.random.default_rng(0)
    load_catalogue(args.papers, rng, text_index=not args.no_text_index)
    reader_ids = build_readers(args.readers, rng)
    version = active_version(args.papers)
    with_neighbours, without = neighbour_checkpoints(version, args.neighbors_k)
    scaled = {scale: scaled_checkpoint(with_neighbours, scale) for scale in scales}
    inner_only = scaled_checkpoint(with_neighbours, 0)  # the same candidates and walk, every part 0
    serve_checkpoint(version, with_neighbours)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    users = list(get_user_model().objects.filter(id__in=reader_ids[: args.queries]))
    ef_searches = [int(ef) for ef in args.recall_ef.split(",") if ef]
    recall = walk_recall(users, version, without, ef_searches, [20, DEPTH]) if ef_searches else {}
    print(
        f"machine: {machine()}; papers={args.papers}; load average {os.getloadavg()[0]:.1f}\n"
        f"the walk alone (a checkpoint without neighbours) against the exact top page, "
        f"the app's ef_search {settings.RETRIEVER_FOR_YOU_EF_SEARCH} (RETRIEVER_FOR_YOU_EF_SEARCH):\n"
        "| hnsw.ef_search | depth | requests | recall (mean) | recall (min) | p50 ms | p95 ms |\n"
        "|---:|---:|---:|---:|---:|---:|---:|"
    )
    for (ef_search, depth), (recalls, times) in recall.items():
        print(
            f"| {ef_search} | {depth} | {len(times)} | {np.mean(recalls):.3f} | {min(recalls):.2f} "
            f"| {percentile(times, 50):.1f} | {percentile(times, 95):.1f} |",
            flush=True,
        )
    if args.recall_only:
        return
    serve_checkpoint(version, with_neighbours)
    ReaderVector.objects.filter(user__in=users).delete()
    windows = {
        f"since {days} days ago in cs.IR": Q(
            announced__gte=NEWEST - dt.timedelta(days=days), categories__contains=["cs.IR"]
        )
        for days in (365, 30)
    }
    rank_archive(user=users[-1], paper_filter=Q(), depth=DEPTH)  # warm-up: the model file, connections

    cold, warm, dense_only, methods = [], [], [], set()
    windowed = {(name, how): [] for name in windows for how in ("app", "walk", "exact")}
    recalls = {name: [] for name in windows}
    pruned, unpruned = {scale: [] for scale in scales}, {scale: [] for scale in scales}
    reads = {scale: [] for scale in scales}
    differ, missed, changed = (
        {scale: [] for scale in scales},
        {scale: [] for scale in scales},
        {scale: [] for scale in scales},
    )
    threshold = settings.RETRIEVER_EXACT_WINDOW_ROWS
    for user in users:
        elapsed, (ids, method) = time_ms(lambda user=user: rank_archive(user=user, paper_filter=Q(), depth=DEPTH))
        cold.append(elapsed)
        methods.add(method)
        assert len(ids) == DEPTH, len(ids)
        warm.append(time_ms(lambda user=user: rank_archive(user=user, paper_filter=Q(), depth=DEPTH))[0])
        serve_checkpoint(version, without, user)
        dense_only.append(time_ms(lambda user=user: rank_archive(user=user, paper_filter=Q(), depth=DEPTH))[0])
        serve_checkpoint(version, inner_only, user)
        by_inner = rank_archive(user=user, paper_filter=Q(), depth=DEPTH)[0]
        for scale, path in scaled.items():
            serve_checkpoint(version, path, user)
            READS.clear()
            elapsed, (page, _) = time_ms(lambda user=user: rank_archive(user=user, paper_filter=Q(), depth=DEPTH))
            pruned[scale].append(elapsed)
            reads[scale] += READS
            with every_candidate_read():
                unpruned[scale].append(
                    time_ms(lambda user=user: rank_archive(user=user, paper_filter=Q(), depth=DEPTH))[0]
                )
            with every_candidate_read(archive.NEIGHBOUR_WALK):  # the same walk: only the pruning differs
                lost = set(rank_archive(user=user, paper_filter=Q(), depth=DEPTH)[0]) - set(page)
            differ[scale].append(len(lost))
            missed[scale].append(above_the_walk(user, version, lost, READS[0][2]) if lost else 0)
            changed[scale].append(len(set(page) - set(by_inner)))
        serve_checkpoint(version, with_neighbours, user)
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
    print(
        f"machine: {machine()}; papers={args.papers}, readers={args.readers}, neighbours k={args.neighbors_k}, "
        f"methods used: {sorted(methods)}; load average {os.getloadavg()[0]:.1f}"
    )
    print("| ranking | requests | p50 ms | p95 ms |\n|---|---:|---:|---:|")
    print(summary("For you, whole archive, reader vector cached (warm)", warm))
    print(summary("... the same, a checkpoint without neighbours (inner product alone)", dense_only))
    for scale in scales:
        beyond, read, _ = np.mean(reads[scale], axis=0) if reads[scale] else (0, 0, 0)
        print(
            summary(
                f"warm, neighbours' weights x{scale:g} (they change {np.mean(changed[scale]):.1f} of {DEPTH} papers), "
                f"pruned: {read:.1f} of {beyond:.0f} candidates read",
                pruned[scale],
            )
        )
        print(
            summary(
                f"... every candidate read, walk as before pruning (through the same walk as the pruned one, "
                f"its page has {np.mean(differ[scale]):.2f} other papers per reader, of which "
                f"{np.mean(missed[scale]):.2f} score above the walk's last: missed by the walk)",
                unpruned[scale],
            )
        )
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

    if not args.svm_queries:  # its cost does not depend on the two-tower's columns: measured once is enough
        return
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
