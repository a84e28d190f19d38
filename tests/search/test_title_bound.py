import datetime as dt

import pytest

from apps.papers.models import Paper, title_terms
from apps.search.queries import SearchFilters
from apps.search.selectors import HYBRID, KEYWORD, search_papers
from apps.search.selectors.keyword import keyword_top, ranked_matches
from apps.search.selectors.title_bound import BOUND, ONCE, exact_top, patterns_reaching, query_terms
from tests.search.factories import PaperFactory

pytestmark = pytest.mark.django_db
EVERYTHING = SearchFilters().as_q()


def full_ranking(query: str, paper_filter=EVERYTHING) -> list[int]:
    return list(ranked_matches(query=query, paper_filter=paper_filter).values_list("pk", flat=True))


def bounded(query: str, limit: int, paper_filter=EVERYTHING) -> list[int] | None:
    return exact_top(ranked_matches(query=query, paper_filter=paper_filter), query=query, limit=limit)


@pytest.fixture
def bandit_papers():
    """Titles with both words, with one, with one repeated, none; words in abstracts and author names."""
    day = dt.date(2026, 1, 1)
    for n in range(6):
        PaperFactory(title=f"Bandit ranking study {n}", abstract="Nothing here.", announced=day + dt.timedelta(n))
    PaperFactory(title="Bandit ranking", abstract="A bandit for ranking, and ranking again with a bandit.")
    # No "ranking" in the title, yet second: its repeated "bandit" and the abstract's "ranking"s outscore the
    # bare "Bandit ranking study" titles. Only the repeated-title pattern brings it in.
    strong = PaperFactory(
        title="Bandit bandit bandit bandit bandit bandit", abstract=" ".join(["Ranking."] * 8), announced=day
    )
    PaperFactory(title="Bandit feedback", abstract="We study ranking.")
    PaperFactory(title="Learning to rank", abstract="A bandit does the ranking.")
    PaperFactory(title="Unrelated", abstract="Graphs.", authors_text="Ranking Bandit")
    PaperFactory(title="Unrelated too", abstract="Graphs.")
    return strong


def test_the_title_bound_gives_the_full_rankings_first_papers_exactly(bandit_papers):
    full = full_ranking("bandit ranking")
    assert full.index(bandit_papers.pk) == 1  # the premise: a paper without both words in its title is second
    proven = [limit for limit in range(1, len(full) + 2) if bounded("bandit ranking", limit) is not None]
    assert {1, 2, 3} <= set(proven)  # the bound is used, and reaches past the titles through the repeated one
    for limit in proven:
        assert bounded("bandit ranking", limit) == full[:limit]


def test_lexemes_ts_rank_sums_over():
    terms = query_terms("Large language models as recommenders")
    assert terms.english == ["larg", "languag", "model", "recommend"]
    assert set(terms.others) == {"large", "language", "models", "as", "recommenders"} and terms.count == 9
    # One half empty (ts_rank would switch formula), exclusions and phrases: not bounded here.
    for query in ["the", "bandit -ranking", '"bandit ranking"', "a b c d e f g h", "***"]:
        assert query_terms(query) is None, query


def test_title_patterns_that_can_reach_a_rank():
    # Two lexemes, k-th rank within reach of a title that repeats one and lacks the other (1 + 0.4).
    reaching = patterns_reaching(["a", "b"], total=1.3)
    assert sorted(reaching, key=str) == [{"a": "absent", "b": "repeated"}, {"a": "repeated", "b": "absent"}]
    assert patterns_reaching(["a", "b"], total=1.5) == []  # out of reach of any title without both
    assert patterns_reaching(["a", "b"], total=BOUND[ONCE] + 0.3) is None  # "a" once would do: too many to list


def test_titles_index_their_repeated_lexemes_apart():
    PaperFactory(title="Retrieval is cheap: retrieval-augmented generation")
    [terms] = Paper.objects.annotate(terms=title_terms()).values_list("terms", flat=True)
    assert terms == "' retriev' 'augment' 'cheap' 'generat' 'retriev' 'retrieval-aug'"


@pytest.mark.parametrize("mode", [KEYWORD, HYBRID])
def test_broad_queries_page_the_full_ranking_and_filters_still_apply(bandit_papers, monkeypatch, mode):
    monkeypatch.setattr("apps.search.selectors.keyword.COUNT_CAP", 3)
    outcome = search_papers(query="bandit ranking", mode=mode, filters=SearchFilters(), per_page=3)
    assert [paper.pk for paper in outcome.page.object_list] == full_ranking("bandit ranking")[:3]
    Paper.objects.filter(pk=bandit_papers.pk).update(categories=["cs.CV"])
    filtered = search_papers(query="bandit ranking", mode=mode, filters=SearchFilters(category="cs.IR"), per_page=3)
    assert bandit_papers not in filtered.page.object_list and len(filtered.page.object_list) == 3


@pytest.mark.parametrize(
    "query",
    ["it's a bandit", r"bandit \ ranking", "bandit ' ranking", "Bändit rànking", "bandit or ranking", "bandit & | !"],
)
def test_odd_queries_get_the_full_rankings_answer(bandit_papers, client, query):
    for limit in (1, 3, 20):
        top = bounded(query, limit)
        assert top is None or top == full_ranking(query)[:limit]
    assert client.get("/search/", {"q": query, "mode": "keyword"}).status_code == 200


def test_hybrids_keyword_list_is_the_full_rankings_head_without_a_count(bandit_papers, monkeypatch):
    def no_count(**kwargs):
        raise AssertionError("a fused list needs no count")

    monkeypatch.setattr("apps.search.selectors.keyword.keyword_count", no_count)
    in_cs_ir = SearchFilters(category="cs.IR").as_q()
    Paper.objects.filter(pk=bandit_papers.pk).update(categories=["cs.CV"])
    for query in ["bandit ranking", '"bandit ranking"', "ranking"]:
        for limit in range(1, len(full_ranking(query)) + 2):
            assert keyword_top(query=query, paper_filter=EVERYTHING, limit=limit) == full_ranking(query)[:limit]
            assert keyword_top(query=query, paper_filter=in_cs_ir, limit=limit) == full_ranking(query, in_cs_ir)[:limit]
    assert search_papers(query="bandit ranking", mode=HYBRID, filters=SearchFilters()).total
