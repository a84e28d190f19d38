"""Reads of the vector store: which model serves, nearest neighbours, what is left to embed."""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import BinaryField, Exists, ExpressionWrapper, F, FloatField, Func, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast
from pgvector import HalfVector
from pgvector.django import CosineDistance, HalfVectorField

from apps.embeddings.models import DIMENSIONS, HALF_PRECISION, EmbeddingModel, PaperEmbedding
from apps.papers.models import Paper
from recsys.encoder import (
    DEFAULT_MODEL_NAME,
    Encoder,
    default_model_path,
    load_encoder,
    model_name_for,
    packaged_model_path,
)

logger = logging.getLogger(__name__)
# With a filter, pgvector's iterative scan walks the graph until `limit` papers pass it. When few pass,
# or few near the query (a category far from its topic), the walk grows long (up to
# hnsw.max_scan_tuples, 20,000) and may still come back short. Up to this many papers passing, the
# distance to each of them is cheaper, and exact: one month of 100,000 papers (4,149) took 52-66 ms
# against 119-265 ms through the graph (docs/benchmarks.md, "/search/ latency").
EXACT_SCAN_MAX_PAPERS = 5_000
# Vectors are read in pgvector's binary form (vector_send: int16 dimensions, int16 unused, big-endian
# float4s): printing and parsing 384 floats as text cost more than the rest of a newsletter's ranking.
VECTOR_BINARY = Func(F("vector"), function="vector_send", output_field=BinaryField())
ENCODER_UNAVAILABLE = "The text model behind the search vectors ({name}) cannot be loaded on this server."


class EncoderUnavailable(Exception):
    pass


def active_model() -> EmbeddingModel | None:
    return EmbeddingModel.objects.filter(status=EmbeddingModel.Status.ACTIVE).first()


def configured_model() -> tuple[str, Path]:
    """The model this process is configured to embed with (RETRIEVER_TEXT_MODEL or the packaged one)."""
    path = default_model_path()
    return model_name_for(path), path


def encoder_for(model: EmbeddingModel) -> Encoder:
    """An encoder for `model`'s vectors, even when this process is configured for a newer model."""
    name, path = configured_model()
    if model.name != name:
        path = packaged_model_path() if model.name == DEFAULT_MODEL_NAME else Path(model.path)
    if not path.is_dir():
        raise EncoderUnavailable(ENCODER_UNAVAILABLE.format(name=model.name))
    return load_encoder(str(path), settings.RETRIEVER_EMBED_DEVICE)


def papers_missing_vectors(model_name: str) -> QuerySet[Paper]:
    """Papers with no vector from this model, or one made from an older version of the paper."""
    current = PaperEmbedding.objects.filter(
        paper=OuterRef("pk"), model_name=model_name, paper_version=OuterRef("version")
    )
    return Paper.objects.filter(~Exists(current))


def coverage(model_name: str) -> tuple[int, int]:
    """(papers with a current vector from this model, papers in the catalogue)."""
    total = Paper.objects.count()
    return total - papers_missing_vectors(model_name).count(), total


def embedding_progress() -> tuple[int, int] | None:
    """(papers embedded, papers in the catalogue) while the serving text model has not embedded them
    all; None once it has. Before the first model starts, nothing is embedded."""
    model = active_model()
    done, total = coverage(model.name) if model else (0, Paper.objects.count())
    return (done, total) if done < total else None


def paper_vector(*, paper_id: int, model_name: str) -> np.ndarray | None:
    vector = (
        PaperEmbedding.objects.filter(paper_id=paper_id, model_name=model_name).values_list("vector", flat=True).first()
    )
    return None if vector is None else np.asarray(vector, dtype=np.float32)


# Paper fields that PaperEmbedding copies under the same names (models.py), and the paper's own id.
COPIED_FILTER_FIELDS = {"announced", "categories", "withdrawn"}


def on_embedding_copies(paper_filter: Q) -> Q | None:
    """`paper_filter` (a Q on Paper) as the same Q on PaperEmbedding's copies of the paper's columns; None if
    it names a field that is not copied."""
    children = []
    for child in paper_filter.children:
        if isinstance(child, Q):
            if (child := on_embedding_copies(child)) is None:
                return None
        elif not isinstance(child, tuple):  # an expression (an Exists...): its OuterRef("pk") is the paper's
            return None
        else:
            lookup, value = child
            field, *rest = lookup.split("__")
            if field in ("id", "pk"):
                field = "paper_id"
            elif field not in COPIED_FILTER_FIELDS:
                return None
            child = ("__".join([field, *rest]), value)
        children.append(child)
    return Q(*children, _connector=paper_filter.connector, _negated=paper_filter.negated)


def half_precision_distance(vector: np.ndarray) -> Func:
    """Cosine distance from the papers' vectors to `vector`, both in half precision: the expression the
    HNSW index is built on (models.HALF_PRECISION), so ORDER BY it walks the graph. Rounded to about 1e-3:
    rank by it, report the float32 distance."""
    query = Cast(Value(HalfVector(vector).to_text()), HalfVectorField(dimensions=DIMENSIONS))
    return CosineDistance(HALF_PRECISION, query)


def nearest_queryset(
    *,
    vector: np.ndarray,
    model_name: str,
    limit: int,
    paper_filter: Q | None = None,
    exclude_paper_id: int | None = None,
    exact: bool = False,
    with_vectors: bool = False,
) -> QuerySet:
    """The ANN query itself: ORDER BY cosine distance LIMIT k, which the HNSW index serves (in half
    precision). Rows of (paper id, float32 distance), and the vector in pgvector's binary form with
    `with_vectors`.

    Through the graph, a filter on copied fields is checked on each vector's row itself; any other filter
    joins the papers. `exact` orders by the float32 distance + 0, an expression no index serves, so
    PostgreSQL measures the distance to every paper that passes the filter instead (found through the
    papers' indexes: the join).
    """
    paper_filter = paper_filter or Q()
    copied = None if exact else on_embedding_copies(paper_filter)
    if copied is not None:
        vectors = PaperEmbedding.objects.filter(copied, model_name=model_name, withdrawn=False)
    else:
        papers = Paper.objects.visible().filter(paper_filter)
        vectors = PaperEmbedding.objects.filter(model_name=model_name, paper__in=papers)
    if exclude_paper_id is not None:
        vectors = vectors.exclude(paper_id=exclude_paper_id)
    distance = CosineDistance("vector", vector)
    if exact:
        rows = vectors.annotate(distance=ExpressionWrapper(distance + Value(0.0), output_field=FloatField()))
        rows = rows.order_by("distance")
    else:
        rows = vectors.annotate(distance=distance).order_by(half_precision_distance(vector))
    if with_vectors:
        return rows.annotate(binary=VECTOR_BINARY).values_list("paper_id", "distance", "binary")[:limit]
    return rows.values_list("paper_id", "distance")[:limit]


def estimated_rows(queryset: QuerySet) -> int:
    """The planner's estimate of the rows `queryset` returns (EXPLAIN: from statistics, no row read)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        return int(cursor.fetchone()[0][0]["Plan"]["Plan Rows"])


@contextmanager
def hnsw_search(ef_search: int):
    """A transaction in which HNSW scans use `ef_search` and pgvector 0.8's iterative scan.

    With filters, the iterative scan keeps walking the graph until enough rows pass them, instead of
    returning fewer than asked for. set_config(..., true) ends with the transaction.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(min(ef_search, 1000))])
        cursor.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
        yield


def nearest_papers(
    *,
    vector: np.ndarray,
    model_name: str,
    limit: int,
    paper_filter: Q | None = None,
    exclude_paper_id: int | None = None,
    ef_search: int | None = None,
    with_vectors: bool = False,
) -> list[tuple]:
    """(paper id, cosine distance) of the `limit` nearest visible papers, nearest first; with `with_vectors`
    (paper id, cosine distance, vector), for a caller that goes on to compare the papers' vectors.

    `paper_filter` is a Q on Paper fields. ef_search is at least `limit`, or HNSW could not find that many.
    A filter that few papers pass is served by an exact scan of those papers, and so is a walk that comes
    back short: the planner's estimate of the papers passing can be far off, and the walk gives up at
    hnsw.max_scan_tuples though more papers pass further from the query (as ranking/archive.py does).
    """

    def nearest(exact: bool) -> list[tuple]:
        rows = nearest_queryset(
            vector=vector,
            model_name=model_name,
            limit=limit,
            paper_filter=paper_filter,
            exclude_paper_id=exclude_paper_id,
            exact=exact,
            with_vectors=with_vectors,
        )
        if with_vectors:
            return [(paper_id, distance, from_binary(binary)) for paper_id, distance, binary in rows]
        return list(rows)

    if paper_filter and estimated_rows(Paper.objects.visible().filter(paper_filter)) <= EXACT_SCAN_MAX_PAPERS:
        return nearest(exact=True)
    with hnsw_search(max(ef_search or settings.RETRIEVER_HNSW_EF_SEARCH, limit)):
        found = nearest(exact=False)
    if len(found) < limit:  # the walk gave up, or fewer papers pass: the exact scan tells which
        return nearest(exact=True)
    # relaxed_order may return neighbours slightly out of order.
    return sorted(found, key=lambda row: row[1])


_remembered_vectors: ContextVar[dict | None] = ContextVar("remembered_vectors", default=None)


@contextmanager
def paper_vectors_remembered() -> Iterator[None]:
    """Inside the block, paper_vectors reads each paper's vector once (None: it has none).

    For jobs that rank the same papers for many readers (a week's newsletters): the week's vectors
    are read for the first reader only, then each reader costs their own history's.
    """
    token = _remembered_vectors.set({})
    try:
        yield
    finally:
        _remembered_vectors.reset(token)


def from_binary(binary: bytes) -> np.ndarray:
    """A vector read as VECTOR_BINARY."""
    return np.frombuffer(binary, dtype=">f4", offset=4).astype(np.float32)


def _read_vectors(paper_ids, model_name: str) -> dict[int, np.ndarray]:
    rows = (
        PaperEmbedding.objects.filter(paper_id__in=paper_ids, model_name=model_name)
        .annotate(binary=VECTOR_BINARY)
        .values_list("paper_id", "binary")
    )
    return {paper_id: from_binary(binary) for paper_id, binary in rows}


def paper_vectors(*, paper_ids, model_name: str) -> dict[int, np.ndarray]:
    """{paper id: vector} for the papers that have one from this model, in one query."""
    remembered = _remembered_vectors.get()
    if remembered is None:
        return _read_vectors(paper_ids, model_name)
    known = remembered.setdefault(model_name, {})
    missing = [paper_id for paper_id in dict.fromkeys(paper_ids) if paper_id not in known]
    if missing:
        read = _read_vectors(missing, model_name)
        known.update({paper_id: read.get(paper_id) for paper_id in missing})
    return {paper_id: known[paper_id] for paper_id in paper_ids if known[paper_id] is not None}


def warm_encoder() -> bool:
    """Load the serving model's encoder now, so the first semantic query does not wait for it.

    Returns whether there was one to load; a failure is logged, never raised (the site serves
    keyword search meanwhile, and the query path reports an unloadable model on its own).
    """
    model = active_model()
    if model is None:
        return False
    try:
        encoder_for(model).encode(["warm-up"])
    except Exception:
        logger.exception("Could not preload the text model %s", model.name)
        return False
    return True


def warm_encoder_when_ready(*, poll_seconds: float = 5.0, patience_seconds: float = 900.0) -> bool:
    """warm_encoder(), after waiting up to `patience_seconds` for a first model to serve.

    On a fresh install (`make run`) the web process starts before the catalogue's first vectors are
    made and their model activated; without the wait, the first semantic query would load it.
    """
    deadline = time.monotonic() + patience_seconds
    while active_model() is None and time.monotonic() < deadline:
        time.sleep(poll_seconds)
    return warm_encoder()
