"""Full-text search over Paper.search_vector (GIN): weighted title > abstract > authors."""

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db.models import F, Q, QuerySet

from apps.papers.models import Paper

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


def keyword_matches(*, query: str, paper_filter: Q) -> QuerySet[Paper]:
    """Visible papers matching `query`, best first, as a queryset of ids (to paginate or cut)."""
    tsquery = text_query(query)
    return (
        Paper.objects.visible()
        .filter(paper_filter, search_vector=tsquery)
        .annotate(rank=SearchRank(F("search_vector"), tsquery))
        .order_by("-rank", "-announced", "-arxiv_id")
        .values_list("id", flat=True)
    )


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
