"""Reads behind the "For you" page: the whole archive, or a window of it, ranked for one reader.

Pages come from a snapshot of the ranked ids kept in the cache, so "Show more" never repeats a paper,
even when the reader acts between pages or the index returns near-ties in another order. The snapshot
starts five pages deep and grows by a deeper search, appending only unseen papers, when the reader
pages past it. A first page (a fresh visit, new filters) ranks again, so it reflects the reader's
latest likes and dismissals; later pages drop what they dismissed since.

The first page also has the "New for you" slot (ranking/new_papers.py): papers nobody has touched yet,
nearest the reader's text. They are taken out of the snapshot's later pages, so paging never repeats them.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Q

from apps.common.keys import FOR_YOU_CACHE, cache_key
from apps.embeddings.selectors import active_model, nearest_papers, paper_vector
from apps.papers.models import Paper
from apps.recommendations.ranking.archive import rank_archive
from apps.recommendations.ranking.content import closest_liked_reasons
from apps.recommendations.ranking.new_papers import new_for_you
from apps.recommendations.ranking.popular import popularity_ranking
from apps.recommendations.selectors import Card, dismissed_paper_ids, reader_states
from apps.search.queries import SearchFilters

PER_PAGE = 20
FIRST_DEPTH = 100
MAX_DEPTH = 1000  # hnsw.ef_search's ceiling, and deeper than anyone pages
SNAPSHOT_SECONDS = 60 * 60
MORE_LIKE = 5
METHOD_LABELS = {
    "two_tower": "by the retriever, from your reading history",
    "content": "by similarity to what you liked and saved",
    "popularity": "by what other readers liked, then newest first",
}


@dataclass
class ForYou:
    cards: list[Card]
    page: int
    method: str
    next_page: int | None
    new: list[Card] | None = None  # the "New for you" slot: the first page only (None elsewhere)

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)


def _snapshot_key(user, filters: SearchFilters) -> str:
    return cache_key(FOR_YOU_CACHE, user.pk, filters.date_from or "", filters.date_to or "", filters.category)


def _deepen(snapshot: dict, *, user, filters: SearchFilters) -> dict:
    depth = min(max(FIRST_DEPTH, 2 * snapshot["depth"]), MAX_DEPTH)
    ranked, method = rank_archive(user=user, paper_filter=filters.as_q(), depth=depth)
    new = snapshot.get("new", [])  # the first page's slot: never on a later page
    seen = {*snapshot["ids"], *new}
    return {
        "ids": snapshot["ids"] + [paper_id for paper_id in ranked if paper_id not in seen],
        "method": snapshot["method"] or method,
        "depth": depth,
        "complete": len(ranked) < depth or depth == MAX_DEPTH,
        "new": new,
    }


def _reasons(*, user, method: str, paper_ids: list[int]) -> dict[int, str]:
    if method == "popularity":
        return {ranked.paper_id: ranked.reason for ranked in popularity_ranking(paper_ids=paper_ids)}
    model = active_model()
    return closest_liked_reasons(user=user, paper_ids=paper_ids, text_model=model.name) if model else {}


def for_you_page(*, user, filters: SearchFilters, page: int = 1) -> ForYou:
    key = _snapshot_key(user, filters)
    snapshot = cache.get(key) if page > 1 else None
    snapshot = snapshot or {"ids": [], "method": "", "depth": 0, "complete": False, "new": []}
    start, stop = (page - 1) * PER_PAGE, page * PER_PAGE
    changed = False
    while len(snapshot["ids"]) <= stop and not snapshot["complete"]:
        snapshot, changed = _deepen(snapshot, user=user, filters=filters), True
    shown = snapshot["ids"][start:stop]
    new = None
    if page == 1:
        new = new_for_you(user=user, paper_filter=filters.as_q(), exclude=shown)
        slot = {ranked.paper_id for ranked in new}
        snapshot["ids"] = [paper_id for paper_id in snapshot["ids"] if paper_id not in slot]
        snapshot["new"], changed = sorted(slot), True
    if changed:
        cache.set(key, snapshot, SNAPSHOT_SECONDS)
    new_reasons = {ranked.paper_id: ranked.reason for ranked in new or []}
    states = reader_states(user=user, paper_ids=[*shown, *new_reasons])
    shown = [paper_id for paper_id in shown if "dismiss" not in states[paper_id]]
    papers = Paper.objects.in_bulk([*shown, *new_reasons])
    reasons = {**_reasons(user=user, method=snapshot["method"], paper_ids=shown), **new_reasons}

    def cards(paper_ids) -> list[Card]:
        return [
            Card(papers[pid], reason=reasons.get(pid, ""), states=states[pid]) for pid in paper_ids if pid in papers
        ]

    return ForYou(
        cards=cards(shown),
        page=page,
        method=snapshot["method"],
        next_page=page + 1 if len(snapshot["ids"]) > stop else None,
        new=None if new is None else cards(new_reasons),
    )


def more_like(*, user, paper: Paper, filters: SearchFilters, limit: int = MORE_LIKE) -> list[Paper] | None:
    """The papers nearest in meaning to `paper` within the window, dismissed ones left out.

    None when the paper has no vector yet.
    """
    model = active_model()
    vector = paper_vector(paper_id=paper.pk, model_name=model.name) if model else None
    if vector is None:
        return None
    rows = nearest_papers(
        vector=vector,
        model_name=model.name,
        limit=limit,
        exclude_paper_id=paper.pk,
        paper_filter=filters.as_q() & ~Q(id__in=dismissed_paper_ids(user=user)),
    )
    papers = Paper.objects.in_bulk([paper_id for paper_id, _ in rows])
    return [papers[paper_id] for paper_id, _ in rows if paper_id in papers]
