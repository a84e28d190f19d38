"""The whole archive, or a window of it, ranked for one reader: the top `depth` papers, best first.

The same order of signals as a week's ranking (ranking/__init__.py): the active two-tower model's
reader vector against its item vectors, else the mean of what the reader liked or saved against the
text vectors, else popularity then recency. The first two are one `ORDER BY distance LIMIT depth` that
pgvector's HNSW index answers by walking the graph, so 100,000 or 1,000,000 papers cost about what a
thousand do; a filter on the papers (a window) is checked during the walk (iterative scan).

The two-tower's score also has a sparse part, the model's item-item neighbours of the reader's history
(ranking/two_tower.py), which an index over inner products cannot walk. Its candidates are the history's
neighbour lists (thousands of papers, growing with the history and k), and each one's sparse part is
known in-process before any vector is read. The walk then goes twice the page's depth: every paper
beyond it has an inner product at most the walk's last one, so a candidate whose sparse part cannot
lift it from there to the depth-th best score among the walked papers cannot be on the page. Only the
rest (typically a few dozen) are read by id, through the same window and dismissals, and the union is
ranked by the sum: the same page as reading every candidate, up to the walk's own approximation. So
are the papers the model never saw read that lie nearest the reader's text profile (a walk over the
text vectors' index), which the lift training chose for new papers (recsys/cold.py) may raise past the
inner product's walk; they have no neighbours (neighbour lists hold read papers only).

A narrow window (a month, a rare category) is ranked exactly instead: the walk would have to pass over
nearly every paper to find enough inside it, and gives up at hnsw.max_scan_tuples with too few or
approximate results, while reading the few thousand papers of the window through their own indexes
and sorting them is both exact and cheap. The planner's row estimate of the window decides, before any
vector is read; a walk that still comes back short is redone exactly.
"""

import json
import logging
from collections.abc import Callable

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Func, Lookup, Q, QuerySet, Value
from pgvector.django import MaxInnerProduct

from apps.embeddings.models import PaperEmbedding
from apps.embeddings.selectors import active_model, half_precision_distance, hnsw_search, paper_vectors
from apps.papers.models import Paper
from apps.recommendations.models import Interaction, ItemVector
from apps.recommendations.ranking.content import HISTORY
from apps.recommendations.ranking.two_tower import Serving, serving_reader
from apps.recommendations.selectors import dismissed_paper_ids, positive_papers

logger = logging.getLogger(__name__)

ArchiveRanker = Callable[..., list[int] | None]
# The walk over the text vectors for new papers reads this many times the page's depth: read papers near
# the reader's profile take some of its places, and the lift adds the inner product to the cosine.
NEW_PAPER_WALK = 4
# With the neighbours the walk reads this many times the page's depth: the inner products between the
# depth-th and the walk's last are the margin that rules out, unread, the neighbour candidates whose
# part of the score cannot bridge it (`can_reach`).
NEIGHBOUR_WALK = 2
MAX_WALK = 1000  # hnsw.ef_search's ceiling, for both walks


def _candidates(*, user, paper_filter: Q):
    """Visible papers in the window that the reader has not dismissed (a subquery, never a list)."""
    return Paper.objects.visible().filter(paper_filter).exclude(id__in=dismissed_paper_ids(user=user)).values("id")


def estimated_rows(queryset: QuerySet) -> int:
    """The planner's estimate of how many rows `queryset` returns: no rows are read."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    return int((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"])


def is_narrow(paper_filter: Q) -> bool:
    """A window small enough that an exact scan beats the HNSW walk (docs/benchmarks.md measures both)."""
    if not paper_filter:
        return False
    return estimated_rows(Paper.objects.visible().filter(paper_filter)) <= settings.RETRIEVER_EXACT_WINDOW_ROWS


def _nearest(
    vectors: QuerySet, distance: Func, *, paper_filter: Q, depth: int, ef_search: int | None = None
) -> list[tuple[int, float]]:
    """(paper id, distance) of the `depth` rows of `vectors` with the smallest `distance`, nearest first:
    by the HNSW walk (reading at least `ef_search` rows; None: the search's setting), or exactly."""

    def exact() -> list[tuple[int, float]]:
        # `+ 0` is an expression no index is ordered by: the planner reads the rows and sorts them.
        rows = vectors.annotate(distance=distance + Value(0.0)).order_by("distance", "paper_id")
        return list(rows.values_list("paper_id", "distance")[:depth])

    if is_narrow(paper_filter):
        return exact()
    with hnsw_search(max(ef_search or settings.RETRIEVER_HNSW_EF_SEARCH, depth)):
        found = list(
            vectors.annotate(distance=distance).order_by("distance").values_list("paper_id", "distance")[:depth]
        )
    if len(found) < depth:  # the walk gave up (hnsw.max_scan_tuples) or the window really is that small
        return exact()
    # relaxed_order may return neighbours slightly out of order.
    return sorted(found, key=lambda row: row[1])


def two_tower_archive(*, user, paper_filter: Q, depth: int) -> list[int] | None:
    """Largest score: the inner product of the reader's vector with the active model's item vectors
    (the HNSW walk's top papers) plus the item-item neighbours' part and the new papers' lift, for those,
    for the papers the history's neighbours raise that can still reach the top `depth` (`can_reach`),
    and for the new papers nearest the reader's text profile."""
    if (serving := serving_reader(user=user)) is None:
        return None
    vectors = ItemVector.objects.filter(
        model_version=serving.version, paper_id__in=_candidates(user=user, paper_filter=paper_filter)
    )
    # pgvector's <#>: the negated inner product, walked in ItemVector's index over inner products. On
    # vectors with a trained model's long-tailed lengths it found 0.99 of the exact top 100 at ef_search
    # 200; the reduction to cosine (each vector lengthened by one coordinate) found under 0.2, since the
    # added coordinate then dominates every short vector (docs/benchmarks.md).
    distance, ef_search = MaxInnerProduct("vector", serving.vector), settings.RETRIEVER_FOR_YOU_EF_SEARCH
    raised, lifts = serving.neighbour_scores()
    new = _new_papers(serving, user=user, paper_filter=paper_filter, depth=depth)
    if not len(raised) and not serving.checkpoint.new_papers:
        nearest = _nearest(vectors, distance, paper_filter=paper_filter, depth=depth, ef_search=ef_search)
        return [paper_id for paper_id, _ in nearest]
    # deeper with a new-paper rule too: its offset (often negative) moves walked papers that nobody read
    # below papers beyond the walk, which a walk of `depth` would leave off the page
    walk = max(depth, min(int(NEIGHBOUR_WALK * depth), MAX_WALK))
    nearest = _nearest(vectors, distance, paper_filter=paper_filter, depth=walk, ef_search=ef_search)

    def scored(inner: dict[int, float]) -> tuple[list[int], np.ndarray]:
        paper_ids = list(inner)
        dense = np.fromiter(inner.values(), dtype=np.float64, count=len(inner))
        return paper_ids, dense + _lift(raised, lifts, paper_ids) + serving.new_lift(paper_ids)

    paper_ids, scores = scored({paper_id: -distance for paper_id, distance in nearest})
    if len(nearest) == walk:  # else the window is smaller than the walk: every paper in it is here
        beyond = ~np.isin(raised, paper_ids)
        reach = beyond.copy()
        floor = -max(distance for _, distance in nearest)  # the walk's lowest inner product
        reach[beyond] = can_reach(scores, floor, lifts[beyond], depth)
        fetch = sorted(set(raised[reach].tolist()) | (set(new) - set(paper_ids)))
        if fetch:
            # the ids on both sides, so the papers are read by primary key, not scanned for the join
            by_id = _candidates(user=user, paper_filter=paper_filter & Q(_any("id", fetch)))
            rows = ItemVector.objects.filter(_any("paper_id", fetch), model_version=serving.version, paper_id__in=by_id)
            more_ids, more_scores = scored(
                {paper_id: -inner for paper_id, inner in rows.values_list("paper_id", distance)}
            )
            paper_ids, scores = paper_ids + more_ids, np.concatenate([scores, more_scores])
    order = np.lexsort((paper_ids, -scores))[:depth]  # best first, ties by id: the same on every page
    return [paper_ids[i] for i in order]


def _new_papers(serving: Serving, *, user, paper_filter: Q, depth: int) -> list[int]:
    """The papers nearest the reader's text profile (the walk over the text vectors' index) that the
    model never saw read: those its lift for new papers (recsys/cold.py) may raise past the walk."""
    if not serving.checkpoint.new_papers or serving.profile is None:
        return []
    texts = PaperEmbedding.objects.filter(
        model_name=serving.text_model.name, paper_id__in=_candidates(user=user, paper_filter=paper_filter)
    )
    distance = half_precision_distance(serving.profile)
    walk = min(NEW_PAPER_WALK * depth, MAX_WALK)
    nearest = [paper_id for paper_id, _ in _nearest(texts, distance, paper_filter=paper_filter, depth=walk)]
    return [paper_id for paper_id, new in zip(nearest, serving.checkpoint.is_new(nearest), strict=True) if new]


def can_reach(sums: np.ndarray, floor: float, lifts: np.ndarray, depth: int) -> np.ndarray:
    """Which papers beyond the walk could still be among the `depth` best: [len(lifts)] bool.

    sums [w]: the full scores (inner product + neighbours) of the walk's w papers; floor: the walk's
    lowest inner product, which no paper beyond the walk exceeds (up to the walk's approximation);
    lifts: the neighbours' part of the papers beyond it. Such a paper scores at most floor + lift, so
    if that is below the depth-th best of `sums` it cannot be on the page, whatever its vector.
    """
    if len(sums) < depth:
        return np.ones(len(lifts), dtype=bool)
    bar = np.partition(sums, len(sums) - depth)[len(sums) - depth]
    # ties go to the smaller id, so an equal bound may still win; the slack covers float rounding
    return floor + lifts.astype(np.float64) >= bar - 1e-6 * (1.0 + abs(bar))


def _lift(raised: np.ndarray, lifts: np.ndarray, paper_ids: list[int]) -> np.ndarray:
    """The neighbours' part of each of `paper_ids` (`raised` ascending, `lifts` theirs; others: 0)."""
    paper_ids = np.asarray(paper_ids, dtype=np.int64)
    if not len(raised):
        return np.zeros(len(paper_ids))
    at = np.minimum(np.searchsorted(raised, paper_ids), len(raised) - 1)
    return np.where(raised[at] == paper_ids, lifts[at], 0.0)


class _AnyOf(Lookup):
    """`lhs = ANY(ids)`, the ids bound as one array literal: for a few thousand ids an IN list (a
    parameter each) or an array field's per-element preparation costs more than the query itself."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, "{" + ",".join(str(int(i)) for i in self.rhs) + "}")


def _any(column: str, ids: list[int]) -> Lookup:
    return _AnyOf(F(column), ids)


def content_archive(*, user, paper_filter: Q, depth: int) -> list[int] | None:
    """Cosine similarity of the text vectors to the mean of what the reader liked or saved."""
    model = active_model()
    history = positive_papers(user=user, limit=HISTORY)
    if model is None or not history:
        return None
    liked = paper_vectors(paper_ids=list(history), model_name=model.name)
    if not liked:
        return None
    profile = np.stack(list(liked.values())).mean(axis=0)
    vectors = PaperEmbedding.objects.filter(
        model_name=model.name, paper_id__in=_candidates(user=user, paper_filter=paper_filter)
    )
    distance = half_precision_distance(profile / (np.linalg.norm(profile) or 1.0))
    return [paper_id for paper_id, _ in _nearest(vectors, distance, paper_filter=paper_filter, depth=depth)]


def popular_archive(*, user, paper_filter: Q, depth: int) -> list[int]:
    """What readers liked or saved most in the window, then the newest papers."""
    candidates = _candidates(user=user, paper_filter=paper_filter)
    liked = list(
        Interaction.objects.filter(kind__in=[Interaction.Kind.LIKE, Interaction.Kind.SAVE], paper_id__in=candidates)
        .values("paper_id")
        .annotate(score=Count("id"))
        .order_by("-score", "-paper_id")
        .values_list("paper_id", flat=True)[:depth]
    )
    newest = (
        Paper.objects.filter(id__in=candidates)
        .exclude(id__in=liked)
        .order_by("-announced", "-id")
        .values_list("id", flat=True)[: depth - len(liked)]
    )
    return liked + list(newest)


def archive_rankers() -> list[ArchiveRanker]:
    return [two_tower_archive, content_archive]


def rank_archive(*, user, paper_filter: Q, depth: int) -> tuple[list[int], str]:
    """Ids of the `depth` best papers for this reader in the window, and the method that ranked them."""
    if user.is_authenticated:
        for ranker in archive_rankers():
            try:
                ranked = ranker(user=user, paper_filter=paper_filter, depth=depth)
            except Exception:
                logger.exception("Ranking the archive with %s failed; falling back", ranker.__name__)
                continue
            if ranked is not None:
                return ranked, ranker.__name__.removesuffix("_archive")
    return popular_archive(user=user, paper_filter=paper_filter, depth=depth), "popularity"
