"""Reads behind /search/ and the paper page: keyword, semantic, hybrid (RRF), similar papers."""

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import close_old_connections, connection, connections
from django.db.models import Q

from apps.common.keys import EMBEDDING_COVERAGE_CACHE, SEARCH_CATEGORIES_CACHE, cache_key
from apps.embeddings.models import EmbeddingModel
from apps.embeddings.selectors import (
    EncoderUnavailable,
    active_model,
    coverage,
    encoder_for,
    nearest_papers,
    paper_vector,
)
from apps.papers.models import Paper
from apps.search.queries import SEMANTIC_PARTIAL, SEMANTIC_UNAVAILABLE, SearchFilters, arxiv_id_in
from apps.search.selectors.fusion import reciprocal_rank_fusion
from apps.search.selectors.keyword import CappedMatches, keyword_top, with_highlights

KEYWORD, SEMANTIC, HYBRID = "keyword", "semantic", "hybrid"
MODES = [(HYBRID, "Hybrid"), (KEYWORD, "Keywords"), (SEMANTIC, "Meaning")]
# How deep semantic and hybrid results go: ANN answers "the nearest N", not "every match".
CANDIDATES = 200
# A query's nearest papers are not necessarily near. Under all-MiniLM-L6-v2 on the bundled sample, the
# best cosine for gibberish and off-topic queries ("zzqqxx flarbo", "lorem ipsum", "chocolate cake
# recipe") is 0.14-0.23, and for on-topic ones 0.29-0.63 ("recommendation": 0.29, one word); "asdf
# qwerty" (0.28) still slips through. Calibration in docs/search.md. Below this, no match by meaning.
MIN_QUERY_SIMILARITY = 0.25
PER_PAGE = 20
SIMILAR_LIMIT = 10
# Query vectors kept per process: paging, switching mode or filters, and popular queries skip the model.
QUERY_VECTORS_CACHED = 1024


@dataclass
class SearchOutcome:
    page: Page
    mode: str
    total: int
    capped: bool = False  # a ranked list cut at CANDIDATES ("Top 200")
    more: bool = False  # more keyword matches than counted ("1,000+")
    exact: Paper | None = None
    notices: list[str] = field(default_factory=list)


# Hybrid search runs its semantic half (encode the query, then walk the graph) on this thread, on the
# thread's own database connection, while the request's thread ranks the keyword matches: the model (ONNX
# Runtime releases the GIL) and two PostgreSQL backends keep both cores busy. Inside a transaction (a
# test's, or a caller's) a second connection would not see its writes: there the thread only encodes.
_semantic_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="semantic-search")


def _on_own_connection(work, **kwargs):
    """`work(**kwargs)` on the calling thread's connection, kept between calls as a request's would be."""
    close_old_connections()
    try:
        return work(**kwargs)
    finally:
        close_old_connections()


def close_search_connections() -> None:
    """Close the semantic thread's connection (before a test database is dropped)."""
    _semantic_thread.submit(connections.close_all).result()


@lru_cache(maxsize=QUERY_VECTORS_CACHED)
def query_vector(model: EmbeddingModel, text: str) -> np.ndarray:
    """`text` embedded by `model`'s encoder (read-only: one array serves every later call)."""
    vector = encoder_for(model).encode([text])[0]
    vector.flags.writeable = False
    return vector


def semantic_ranking(
    *,
    text: str,
    paper_filter: Q,
    limit: int,
    exclude_paper_id: int | None = None,
    min_similarity: float = -1.0,
    model: EmbeddingModel | None = None,
    encoding: Future | None = None,
) -> tuple[list[int], list[str]]:
    """Ids of the papers nearest in meaning to `text` (at least `min_similarity` in cosine), under the
    active model (or `model`, its vector for `text` possibly already on its way as `encoding`), and any
    caveats."""
    model = model or active_model()
    if model is None:
        return [], [SEMANTIC_UNAVAILABLE]
    try:
        vector = encoding.result() if encoding else query_vector(model, text)
    except EncoderUnavailable as error:
        return [], [str(error)]
    rows = nearest_papers(
        vector=vector,
        model_name=model.name,
        limit=limit,
        paper_filter=paper_filter,
        exclude_paper_id=exclude_paper_id,
    )
    # Cached briefly: counting the catalogue on every keystroke would cost more than the search.
    done, total = cache.get_or_set(cache_key(EMBEDDING_COVERAGE_CACHE, model.name), lambda: coverage(model.name), 60)
    notices = [SEMANTIC_PARTIAL.format(done=done, total=total)] if done < total else []
    return [paper_id for paper_id, distance in rows if 1 - distance >= min_similarity], notices


def hydrate(ids: list[int], *, query: str = "") -> list[Paper]:
    """The papers behind `ids`, in that order, highlighted for `query` when there is one."""
    papers = Paper.objects.filter(pk__in=ids)
    if query:
        papers = with_highlights(papers, query)
    by_id = {paper.pk: paper for paper in papers}
    return [by_id[pk] for pk in ids if pk in by_id]


def hybrid_ranking(*, query: str, paper_filter: Q) -> tuple[list[int], list[str]]:
    """The keyword and semantic lists (CANDIDATES each) fused by RRF, the semantic half ranked meanwhile on
    the semantic thread, and its caveats."""
    model = active_model()
    semantic = {"text": query, "paper_filter": paper_filter, "limit": CANDIDATES, "model": model}
    semantic["min_similarity"] = MIN_QUERY_SIMILARITY
    elsewhere = None
    if model is not None and not connection.in_atomic_block:
        elsewhere = _semantic_thread.submit(_on_own_connection, semantic_ranking, **semantic)
    elif model is not None:
        semantic["encoding"] = _semantic_thread.submit(query_vector, model, query)
    keyword = keyword_top(query=query, paper_filter=paper_filter, limit=CANDIDATES)
    nearest, notices = elsewhere.result() if elsewhere else semantic_ranking(**semantic)
    return reciprocal_rank_fusion(keyword, nearest)[:CANDIDATES], notices


def search_papers(
    *, query: str, mode: str, filters: SearchFilters, page_number=1, per_page: int = PER_PAGE
) -> SearchOutcome:
    paper_filter = filters.as_q()
    notices: list[str] = []
    exact = None
    ranked: CappedMatches | list[int]
    if exact_id := arxiv_id_in(query):
        # An id is a lookup: neighbours of the string "2501.01234" by meaning would be noise.
        exact = Paper.objects.filter(arxiv_id=exact_id).first()
        ranked = [exact.pk] if exact else []
    elif mode == KEYWORD:
        ranked = CappedMatches(query=query, paper_filter=paper_filter)
    elif mode == SEMANTIC:
        ranked, notices = semantic_ranking(
            text=query, paper_filter=paper_filter, limit=CANDIDATES, min_similarity=MIN_QUERY_SIMILARITY
        )
    else:
        ranked, notices = hybrid_ranking(query=query, paper_filter=paper_filter)
    page = Paginator(ranked, per_page).get_page(page_number)
    page.object_list = hydrate(list(page.object_list), query=query)
    total = page.paginator.count
    return SearchOutcome(
        page=page,
        mode=mode,
        total=total,
        capped=mode != KEYWORD and total >= CANDIDATES,
        more=isinstance(ranked, CappedMatches) and ranked.more,
        exact=exact,
        notices=notices,
    )


def papers_like_text(*, text: str, filters: SearchFilters, limit: int = PER_PAGE) -> tuple[list[Paper], list[str]]:
    ids, notices = semantic_ranking(text=text, paper_filter=filters.as_q(), limit=limit)
    return hydrate(ids), notices


def similar_papers(*, paper: Paper, limit: int = SIMILAR_LIMIT) -> list[Paper] | None:
    """Nearest papers to `paper` under the active model, itself excluded; None if it has no vector yet."""
    model = active_model()
    vector = paper_vector(paper_id=paper.pk, model_name=model.name) if model else None
    if vector is None:
        return None
    rows = nearest_papers(vector=vector, model_name=model.name, limit=limit, exclude_paper_id=paper.pk)
    return hydrate([paper_id for paper_id, _ in rows])


def _all_categories() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT unnest(categories) AS category FROM papers_paper ORDER BY category")
        return [row[0] for row in cursor.fetchall()]


def category_choices() -> list[str]:
    """Every category a paper is listed in (cross-lists too: cs.IR is rarely primary), for the filter menu.

    Cached: the set changes rarely, and scanning the catalogue per keystroke would not do.
    """
    return cache.get_or_set(SEARCH_CATEGORIES_CACHE, _all_categories, 300)
