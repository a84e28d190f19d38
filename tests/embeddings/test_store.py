import datetime as dt
import threading
import time

import numpy as np
import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from pgvector.django import CosineDistance

from apps.embeddings.models import DIMENSIONS, PaperEmbedding
from apps.embeddings.selectors import half_precision_distance, hnsw_search, nearest_papers, nearest_queryset
from apps.papers.models import Paper
from tests.search.factories import PaperEmbeddingFactory, PaperFactory, random_archive, unit_vector, walk_as_at_scale

pytestmark = pytest.mark.django_db


def test_vectors_round_trip_through_pgvector():
    vector = unit_vector(np.random.default_rng(7))
    stored = PaperEmbeddingFactory(vector=vector)
    loaded = np.asarray(PaperEmbedding.objects.get(pk=stored.pk).vector, dtype=np.float32)
    assert loaded.shape == (DIMENSIONS,)
    np.testing.assert_array_equal(loaded, vector)


def test_nearest_papers_ranks_by_cosine_and_skips_withdrawn_and_excluded():
    rng = np.random.default_rng(3)
    query = unit_vector(rng)
    near = PaperEmbeddingFactory(vector=query + 0.05 * unit_vector(rng))
    far = PaperEmbeddingFactory(vector=unit_vector(rng))
    PaperEmbeddingFactory(vector=query, paper=PaperFactory(withdrawn=True))
    PaperEmbeddingFactory(vector=query, model_name="another-model")

    found = nearest_papers(vector=query, model_name="all-MiniLM-L6-v2", limit=10)
    assert [paper_id for paper_id, _ in found] == [near.paper_id, far.paper_id]
    assert found[0][1] < 0.01

    without = nearest_papers(vector=query, model_name="all-MiniLM-L6-v2", limit=10, exclude_paper_id=near.paper_id)
    assert [paper_id for paper_id, _ in without] == [far.paper_id]


def test_the_hnsw_index_serves_the_nearest_neighbour_query():
    # Below ~2,000 rows the planner rightly prefers a sequential scan and a sort.
    rng = np.random.default_rng(11)
    papers = Paper.objects.bulk_create(PaperFactory.build_batch(2500))
    vectors = rng.standard_normal((len(papers), DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    PaperEmbedding.objects.bulk_create(
        PaperEmbedding(paper=paper, model_name="all-MiniLM-L6-v2", paper_version=1, vector=vector)
        for paper, vector in zip(papers, vectors)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE embeddings_paperembedding; ANALYZE papers_paper")
    query = nearest_queryset(vector=vectors[0], model_name="all-MiniLM-L6-v2", limit=20)
    with hnsw_search(40):
        plan = query.explain()
    assert "paperembedding_hnsw_cosine" in plan, plan


def test_the_half_precision_walk_finds_the_exact_neighbours_and_reports_float32_distances():
    """The graph holds half-precision vectors; the walk must still find the float32 nearest, in order,
    and report their float32 distances (search's similarity floor reads them), not rounded ones."""
    rng = np.random.default_rng(19)
    query = unit_vector(rng)
    # 20 planted neighbours at cosine 0.90, 0.89, ... 0.71 (gaps far above half precision's ~1e-4),
    # among 2,480 random vectors (cosine about 0 +- 0.05)
    planted = [0.90 - 0.01 * i for i in range(20)]
    near = [cosine * query + np.sqrt(1 - cosine**2) * orthogonal(unit_vector(rng), query) for cosine in planted]
    vectors = np.asarray(near + [unit_vector(rng) for _ in range(2480)], dtype=np.float32)
    papers = Paper.objects.bulk_create(PaperFactory.build_batch(len(vectors)))
    PaperEmbedding.objects.bulk_create(
        PaperEmbedding(paper=paper, model_name="all-MiniLM-L6-v2", paper_version=1, vector=vector)
        for paper, vector in zip(papers, vectors, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE embeddings_paperembedding; ANALYZE papers_paper")
    with hnsw_search(40):
        plan = nearest_queryset(vector=query, model_name="all-MiniLM-L6-v2", limit=20).explain()
    assert "paperembedding_hnsw_cosine" in plan, plan

    walked = nearest_papers(vector=query, model_name="all-MiniLM-L6-v2", limit=20, ef_search=40)
    exact = list(nearest_queryset(vector=query, model_name="all-MiniLM-L6-v2", limit=20, exact=True))
    assert [paper_id for paper_id, _ in walked] == [paper.pk for paper in papers[:20]]
    assert walked == exact
    float32 = 1.0 - vectors[:20].astype(np.float64) @ query.astype(np.float64)
    np.testing.assert_allclose([distance for _, distance in walked], float32, atol=1e-6)


def test_a_ranking_over_a_subquery_of_papers_walks_the_half_precision_index():
    """The shape of "For you"'s text walks (ranking/archive.py): the vectors of a set of papers, ordered
    by half_precision_distance; ordered by the float32 distance, the graph would not serve it."""
    papers, vectors = random_archive(2500, start=dt.date(2026, 1, 5), categories=lambda i: ["cs.IR"], seed=23)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE embeddings_paperembedding; ANALYZE papers_paper")
    texts = PaperEmbedding.objects.filter(model_name="all-MiniLM-L6-v2", paper_id__in=Paper.objects.values("id"))
    with hnsw_search(40):
        plan = texts.annotate(distance=half_precision_distance(vectors[3])).order_by("distance")[:20].explain()
        float32 = texts.annotate(distance=CosineDistance("vector", vectors[3])).order_by("distance")[:20].explain()
    assert "paperembedding_hnsw_cosine" in plan, plan
    assert "paperembedding_hnsw_cosine" not in float32, float32


def orthogonal(vector: np.ndarray, to: np.ndarray) -> np.ndarray:
    """`vector`'s unit part orthogonal to the unit vector `to`."""
    rest = vector - (vector @ to) * to
    return rest / np.linalg.norm(rest)


def test_a_filter_few_papers_pass_is_served_exactly_and_a_broad_one_by_the_index(monkeypatch):
    rng = np.random.default_rng(13)
    papers = Paper.objects.bulk_create(
        PaperFactory.build(categories=["cs.SI"] if i % 50 == 0 else ["cs.IR"]) for i in range(2500)
    )
    vectors = rng.standard_normal((len(papers), DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    PaperEmbedding.objects.bulk_create(
        PaperEmbedding(paper=paper, model_name="all-MiniLM-L6-v2", paper_version=1, vector=vector)
        for paper, vector in zip(papers, vectors)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE embeddings_paperembedding; ANALYZE papers_paper")
    plans = []
    monkeypatch.setattr(
        "apps.embeddings.selectors.nearest_queryset",
        lambda original=nearest_queryset, **kwargs: plans.append(kwargs["exact"]) or original(**kwargs),
    )
    monkeypatch.setattr("apps.embeddings.selectors.EXACT_SCAN_MAX_PAPERS", 500)

    rare = Q(categories__contains=["cs.SI"])  # 50 papers
    found = nearest_papers(vector=vectors[1], model_name="all-MiniLM-L6-v2", limit=10, paper_filter=rare)
    si = [i for i, paper in enumerate(papers) if paper.categories == ["cs.SI"]]
    truth = sorted(si, key=lambda i: -float(vectors[i] @ vectors[1]))[:10]
    assert [paper_id for paper_id, _ in found] == [papers[i].pk for i in truth]

    broad = Q(categories__contains=["cs.IR"])  # 2,450 papers
    assert len(nearest_papers(vector=vectors[1], model_name="all-MiniLM-L6-v2", limit=10, paper_filter=broad)) == 10
    nearest_papers(vector=vectors[1], model_name="all-MiniLM-L6-v2", limit=10)
    assert plans == [True, False, False]
    exact = nearest_queryset(vector=vectors[1], model_name="all-MiniLM-L6-v2", limit=10, paper_filter=rare, exact=True)
    with hnsw_search(40):
        assert "paperembedding_hnsw_cosine" not in exact.explain()


def test_a_walk_that_comes_back_short_is_answered_exactly(monkeypatch):
    """A category busy long ago, in a window of recent papers: the planner takes the two filters as
    independent and expects a quarter of the archive where 12 papers pass, so the graph is walked, and the
    walk gives up before it finds ten. Scaled from 100,000 papers to these 2,500: EXACT_SCAN_MAX_PAPERS
    5,000 to 125, and the walk as walk_as_at_scale makes it. The window's papers lie on the far side of
    the query: a walk over 2,500 random vectors reaches a good part of them before it gives up (the denser
    the graph, the more), where at 100,000 it reaches a small neighbourhood of the query."""
    start = dt.date(2026, 1, 5)
    papers, vectors = random_archive(
        2500, start=start, categories=lambda i: ["cs.SI"] if i < 1250 or i % 100 == 0 else ["cs.IR"], seed=17
    )
    rng = np.random.default_rng(29)
    for i in range(1300, 2500, 100):
        far = -vectors[1] + unit_vector(rng)
        vectors[i] = far / np.linalg.norm(far)
        PaperEmbedding.objects.filter(paper=papers[i]).update(vector=vectors[i])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE embeddings_paperembedding; ANALYZE papers_paper")
    walk_as_at_scale()
    walked = []
    monkeypatch.setattr(
        "apps.embeddings.selectors.nearest_queryset",
        lambda original=nearest_queryset, **kwargs: walked.append(not kwargs["exact"]) or original(**kwargs),
    )
    monkeypatch.setattr("apps.embeddings.selectors.EXACT_SCAN_MAX_PAPERS", 125)

    window = Q(categories__contains=["cs.SI"], announced__gte=start + dt.timedelta(days=1250))
    inside = [i for i, paper in enumerate(papers) if i >= 1250 and paper.categories == ["cs.SI"]]
    truth = [papers[i].pk for i in sorted(inside, key=lambda i: -float(vectors[i] @ vectors[1]))[:10]]
    found = nearest_papers(vector=vectors[1], model_name="all-MiniLM-L6-v2", limit=10, paper_filter=window)
    assert walked == [True, False]  # the walk came back short; the exact scan of the window answered
    assert [paper_id for paper_id, _ in found] == truth
    with_vectors = nearest_papers(
        vector=vectors[1], model_name="all-MiniLM-L6-v2", limit=10, paper_filter=window, with_vectors=True
    )
    assert [row[:2] for row in with_vectors] == found
    for paper_id, _, vector in with_vectors:
        np.testing.assert_array_equal(vector, vectors[[paper.pk for paper in papers].index(paper_id)])


@pytest.mark.django_db
def test_warming_the_encoder_loads_the_serving_model_or_does_nothing(encoder):
    from apps.embeddings.models import EmbeddingModel
    from apps.embeddings.selectors import warm_encoder

    assert warm_encoder() is False  # nothing serves yet
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    assert warm_encoder() is True
    EmbeddingModel.objects.update(name="gone", path="/nonexistent")
    assert warm_encoder() is False  # logged, not raised


@pytest.mark.django_db(transaction=True)
def test_warming_waits_for_a_first_model_to_serve(encoder):
    from django.db import connections

    from apps.embeddings.models import EmbeddingModel
    from apps.embeddings.selectors import warm_encoder_when_ready

    started = time.monotonic()
    assert warm_encoder_when_ready(poll_seconds=0.05, patience_seconds=0.3) is False  # none came: gives up
    assert time.monotonic() - started >= 0.3

    def activate():  # as the embedding task does, from another process, while the web process waits
        EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
        connections.close_all()

    timer = threading.Timer(0.3, activate)
    timer.start()
    try:
        assert warm_encoder_when_ready(poll_seconds=0.05, patience_seconds=30) is True
    finally:
        timer.join()


def test_each_vector_row_keeps_its_papers_filter_columns_whoever_writes():

    paper = PaperFactory(categories=["cs.IR"], announced=dt.date(2026, 1, 5))
    stored = PaperEmbeddingFactory(paper=paper)

    def copies() -> tuple:
        return PaperEmbedding.objects.values_list("announced", "categories", "withdrawn").get(pk=stored.pk)

    assert copies() == (dt.date(2026, 1, 5), ["cs.IR"], False)
    Paper.objects.filter(pk=paper.pk).update(categories=["cs.LG", "cs.IR"], announced=dt.date(2026, 2, 1))
    assert copies() == (dt.date(2026, 2, 1), ["cs.LG", "cs.IR"], False)
    paper.refresh_from_db()
    paper.withdrawn = True
    paper.save()
    assert copies() == (dt.date(2026, 2, 1), ["cs.LG", "cs.IR"], True)
    # A stale copy in memory, saved back, cannot overwrite the paper's values.
    stale = PaperEmbedding.objects.get(pk=stored.pk)
    stale.withdrawn, stale.categories = False, ["cs.CV"]
    stale.save()
    assert copies() == (dt.date(2026, 2, 1), ["cs.LG", "cs.IR"], True)


def test_filters_on_copied_columns_are_checked_on_the_vector_rows_and_others_join_the_papers():

    from apps.embeddings.selectors import on_embedding_copies

    window = Q(announced__gte=dt.date(2026, 1, 1)) & Q(categories__contains=["cs.IR"]) & ~Q(id__in=[3, 4])
    assert on_embedding_copies(window) == Q(announced__gte=dt.date(2026, 1, 1)) & Q(
        categories__contains=["cs.IR"]
    ) & ~Q(paper_id__in=[3, 4])
    assert on_embedding_copies(Q(announced__gte=dt.date(2026, 1, 1)) | Q(primary_category="cs.IR")) is None
    # an expression's OuterRef("pk") is the paper's id, not the vector row's: joined, never translated
    assert on_embedding_copies(window & ~Q(Exists(Paper.objects.filter(pk=OuterRef("pk"), withdrawn=True)))) is None

    rng = np.random.default_rng(5)
    query = unit_vector(rng)
    inside = PaperEmbeddingFactory(vector=query + 0.3 * unit_vector(rng), paper=PaperFactory(categories=["cs.IR"]))
    PaperEmbeddingFactory(vector=query, paper=PaperFactory(categories=["cs.LG"]))
    PaperEmbeddingFactory(vector=query, paper=PaperFactory(categories=["cs.IR"], withdrawn=True))
    graph = nearest_queryset(
        vector=query, model_name="all-MiniLM-L6-v2", limit=5, paper_filter=Q(categories__contains=["cs.IR"])
    )
    assert "papers_paper" not in str(graph.query) and [row[0] for row in graph] == [inside.paper_id]
    joined = nearest_queryset(
        vector=query, model_name="all-MiniLM-L6-v2", limit=5, paper_filter=Q(primary_category__startswith="cs")
    )
    assert "papers_paper" in str(joined.query)
