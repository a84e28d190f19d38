"""Full-text search over Paper.search_vector (GIN): weighted title > abstract > authors."""

from functools import cached_property

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db.models import F, Q, QuerySet

from apps.papers.models import Paper
from apps.search.selectors.title_bound import exact_top

# A broad query ("recommender systems") matches tens of thousands of papers. Counting them all costs
# as much as ranking them, and "1,000+" tells a reader all they need: add words or filters.
COUNT_CAP = 1000

# Control characters as highlight markers: a paper's own text never carries them, so after escaping
# the text, only these become <mark> tags.
MARK_START, MARK_STOP = "\x02", "\x03"


def text_query(query: str) -> SearchQuery:
    """websearch_to_tsquery never fails on user input: quotes make phrases, `or` and `-` work, the rest is text.

    English stems title and abstract words; `simple` keeps author names as written (they are indexed so).
    """
    return SearchQuery(query, config="english", search_type="websearch") | SearchQuery(
        query, config="simple", search_type="websearch"
    )


def _matching(tsquery: SearchQuery, paper_filter: Q) -> QuerySet[Paper]:
    return Paper.objects.visible().filter(paper_filter, search_vector=tsquery)


def ranked_matches(*, query: str, paper_filter: Q) -> QuerySet[Paper]:
    """Visible papers matching `query`, best first, with their `rank`.

    The order is total (rank, then date, then the unique arXiv id), so pages cut from it never repeat.
    """
    tsquery = text_query(query)
    return (
        _matching(tsquery, paper_filter)
        .annotate(rank=SearchRank(F("search_vector"), tsquery))
        .order_by("-rank", "-announced", "-arxiv_id")
    )


def keyword_matches(*, query: str, paper_filter: Q) -> QuerySet[Paper]:
    """ranked_matches as a queryset of ids (to paginate or cut)."""
    return ranked_matches(query=query, paper_filter=paper_filter).values_list("id", flat=True)


def keyword_top(*, query: str, paper_filter: Q, limit: int) -> list[int]:
    """The first `limit` ranked ids, for a list that is fused rather than paged: nothing is counted.

    Unfiltered, the title bound is tried without first counting up to the cap: for a broad query the count
    was a third statement over the matches, and where the bound cannot show the top (a phrase, few titles
    with every word) the matches are few or the attempt is short. Filtered, every match is ranked (see
    CappedMatches.broad)."""
    if not paper_filter:
        top = exact_top(ranked_matches(query=query, paper_filter=paper_filter), query=query, limit=limit)
        if top is not None:
            return top
    return list(keyword_matches(query=query, paper_filter=paper_filter)[:limit])


def keyword_count(*, query: str, paper_filter: Q, cap: int) -> int:
    """How many visible papers match, counted up to cap + 1 (the index answers; nothing is ranked)."""
    return _matching(text_query(query), paper_filter).values("pk")[: cap + 1].count()


class CappedMatches:
    """The keyword matches, best first, as a Paginator sees them: the first `cap`, counted without ranking
    the rest (unfiltered), or ranked and counted by one statement (filtered).

    `more` says that further matches exist past the cap; pages stop at the cap.
    """

    def __init__(self, *, query: str, paper_filter: Q, cap: int | None = None):
        self.query, self.paper_filter = query, paper_filter
        self.ranked = keyword_matches(query=query, paper_filter=paper_filter)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def _filtered_top(self) -> list[int]:
        """With a filter, the first cap + 1 ranked ids: every match is ranked anyway (see `broad`), so one
        statement both pages and counts, where a separate count would scan the matches a second time."""
        return list(self.ranked[: self.cap + 1])

    @cached_property
    def _found(self) -> int:
        if self.paper_filter:
            return len(self._filtered_top)
        return keyword_count(query=self.query, paper_filter=self.paper_filter, cap=self.cap)

    @property
    def more(self) -> bool:
        return self._found > self.cap

    def count(self) -> int:
        return min(self._found, self.cap)

    @property
    def broad(self) -> bool:
        """Past the cap, and not filtered: the title bound skips most matches. A filter makes the matches few
        enough to rank them all (cs.IR in 2025 keeps 7 %), which costs less than the title candidates."""
        return not self.paper_filter and self.more

    def __getitem__(self, index):
        if self.paper_filter:
            return self._filtered_top[: self.cap][index]
        if isinstance(index, slice) and index.stop and not index.step and self.broad:
            ranked = ranked_matches(query=self.query, paper_filter=self.paper_filter)
            top = exact_top(ranked, query=self.query, limit=index.stop)
            if top is not None:
                return top[index.start or 0 :]
        return self.ranked[index]


def with_highlights(papers: QuerySet[Paper], query: str) -> QuerySet[Paper]:
    """ts_headline is costly: apply it to one page of papers, never to the whole match set."""
    tsquery = text_query(query)
    marks = {"start_sel": MARK_START, "stop_sel": MARK_STOP}
    return papers.annotate(
        title_highlight=SearchHeadline("title", tsquery, config="english", highlight_all=True, **marks),
        abstract_highlight=SearchHeadline(
            "abstract",
            tsquery,
            config="english",
            max_words=40,
            min_words=20,
            max_fragments=2,
            fragment_delimiter=" … ",
            **marks,
        ),
    )
