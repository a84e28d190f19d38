import datetime as dt

import pytest

from apps.search.queries import SearchFilters, arxiv_id_in
from apps.search.selectors import HYBRID, KEYWORD, search_papers
from apps.search.selectors.keyword import CappedMatches, keyword_matches
from apps.search.templatetags.search import highlighted
from tests.search.factories import PaperFactory

pytestmark = pytest.mark.django_db


def keyword(query: str, **filters) -> list[str]:
    outcome = search_papers(query=query, mode=KEYWORD, filters=SearchFilters(**filters))
    return [paper.arxiv_id for paper in outcome.page.object_list]


def test_title_outranks_abstract_outranks_authors():
    PaperFactory(arxiv_id="2601.00003", title="A study", abstract="Nothing here.", authors_text="Carla Bandit")
    PaperFactory(arxiv_id="2601.00002", title="A study", abstract="We tune a bandit for ranking.")
    PaperFactory(arxiv_id="2601.00001", title="Bandit feedback for ranking", abstract="Nothing here.")
    PaperFactory(arxiv_id="2601.00004", title="Unrelated", abstract="Graphs.")
    assert keyword("bandit") == ["2601.00001", "2601.00002", "2601.00003"]


def test_highlights_mark_the_terms_and_escape_the_papers_own_markup():
    PaperFactory(title="Ranking <b>losses</b>", abstract="When x < y & the ranking loss is <script>alert(1)</script>.")
    [paper] = search_papers(query="ranking", mode=KEYWORD, filters=SearchFilters()).page.object_list
    title, abstract = highlighted(paper.title_highlight), highlighted(paper.abstract_highlight)
    assert "<mark>Ranking</mark> &lt;b&gt;losses&lt;/b&gt;" in title
    assert "x &lt; y &amp; the <mark>ranking</mark> loss" in abstract and "<script>" not in abstract


def test_phrases_exclusions_and_stemming():
    PaperFactory(arxiv_id="2601.00011", title="Contrastive learning for recommendation")
    PaperFactory(arxiv_id="2601.00012", title="Recommending with contrastive losses and learning rates")
    assert keyword('"contrastive learning"') == ["2601.00011"]
    assert keyword("recommendations -losses") == ["2601.00011"]
    assert sorted(keyword("recommend")) == ["2601.00011", "2601.00012"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("2501.01234", "2501.01234"),
        ("arXiv:2501.01234v3", "2501.01234"),
        ("https://arxiv.org/abs/2501.01234v2", "2501.01234"),
        ("https://arxiv.org/pdf/2501.01234v2.pdf", "2501.01234"),
        ("HEP-TH/9901001v1", "hep-th/9901001"),
        ("math.gt/0309136", "math.GT/0309136"),
        ("2501.01234 transformers", None),
        ("recommendation", None),
    ],
)
def test_arxiv_ids_are_recognised(query, expected):
    assert arxiv_id_in(query) == expected


def test_an_exact_arxiv_id_comes_first():
    PaperFactory(arxiv_id="2501.01234", title="Some paper")
    outcome = search_papers(query="arXiv:2501.01234v2", mode=HYBRID, filters=SearchFilters())
    assert outcome.exact.arxiv_id == "2501.01234"
    assert [paper.arxiv_id for paper in outcome.page.object_list] == ["2501.01234"]


def test_filters_by_date_range_and_category_and_hides_withdrawn():
    PaperFactory(arxiv_id="2601.00021", title="Ranking", announced=dt.date(2026, 1, 5), categories=["cs.IR"])
    PaperFactory(arxiv_id="2601.00022", title="Ranking", announced=dt.date(2026, 2, 5), categories=["cs.LG", "cs.IR"])
    PaperFactory(arxiv_id="2601.00023", title="Ranking", announced=dt.date(2026, 3, 5), categories=["cs.CL"])
    PaperFactory(arxiv_id="2601.00024", title="Ranking", announced=dt.date(2026, 2, 5), withdrawn=True)
    assert sorted(keyword("ranking", date_from=dt.date(2026, 2, 1))) == ["2601.00022", "2601.00023"]
    assert keyword("ranking", date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 2, 28)) == ["2601.00022"]
    assert sorted(keyword("ranking", category="cs.IR")) == ["2601.00021", "2601.00022"]


def test_results_are_paginated():
    PaperFactory.create_batch(25, title="Ranking again")
    first = search_papers(query="ranking", mode=KEYWORD, filters=SearchFilters(), page_number=1, per_page=10)
    last = search_papers(query="ranking", mode=KEYWORD, filters=SearchFilters(), page_number=3, per_page=10)
    assert first.total == 25 and first.page.paginator.num_pages == 3
    assert len(last.page.object_list) == 5
    assert not {p.pk for p in first.page.object_list} & {p.pk for p in last.page.object_list}


def test_broad_queries_count_up_to_the_cap_and_page_through_it_without_repeats(monkeypatch):
    monkeypatch.setattr("apps.search.selectors.keyword.COUNT_CAP", 5)
    PaperFactory.create_batch(8, title="Ranking again")
    PaperFactory(title="Ranking ranking ranking", abstract="Ranking, once more.")
    pages = [
        search_papers(query="ranking", mode=KEYWORD, filters=SearchFilters(), page_number=n, per_page=2)
        for n in (1, 2, 3, 4)
    ]
    assert pages[0].total == 5 and pages[0].more and pages[0].page.paginator.num_pages == 3
    served = [paper.arxiv_id for outcome in pages[:3] for paper in outcome.page.object_list]
    best = list(
        keyword_matches(query="ranking", paper_filter=SearchFilters().as_q()).values_list("arxiv_id", flat=True)
    )
    assert len(served) == len(set(served)) == 5 and served == best[:5]
    assert pages[0].page.object_list[0].title == "Ranking ranking ranking"
    assert pages[3].page.number == 3  # past the cap: the last page, as for any page out of range


def test_counts_under_the_cap_are_exact_and_respect_filters(monkeypatch):
    monkeypatch.setattr("apps.search.selectors.keyword.COUNT_CAP", 5)
    PaperFactory.create_batch(4, title="Ranking", categories=["cs.IR"])
    PaperFactory.create_batch(3, title="Ranking", categories=["cs.LG"])
    outcome = search_papers(query="ranking", mode=KEYWORD, filters=SearchFilters(category="cs.IR"))
    assert outcome.total == 4 and not outcome.more
    assert search_papers(query="ranking", mode=KEYWORD, filters=SearchFilters()).more


def test_filtered_matches_are_ranked_and_counted_by_one_statement(django_assert_num_queries):
    PaperFactory.create_batch(6, title="Ranking", categories=["cs.IR"])
    PaperFactory(arxiv_id="2601.00051", title="Ranking ranking", categories=["cs.IR"])
    PaperFactory.create_batch(3, title="Ranking ranking ranking", categories=["cs.LG"])
    in_ir = SearchFilters(category="cs.IR").as_q()
    best = list(keyword_matches(query="ranking", paper_filter=in_ir)[:5])
    matches = CappedMatches(query="ranking", paper_filter=in_ir, cap=5)
    with django_assert_num_queries(1):
        assert matches.count() == 5 and matches.more
        assert list(matches[0:2]) + list(matches[2:5]) == best and matches[0] == best[0]
    under_cap = CappedMatches(query="ranking", paper_filter=in_ir, cap=10)
    assert under_cap.count() == 7 and not under_cap.more and len(list(under_cap[0:10])) == 7


def test_the_page_says_when_there_are_more_matches_than_counted(client, monkeypatch):
    monkeypatch.setattr("apps.search.selectors.keyword.COUNT_CAP", 3)
    PaperFactory.create_batch(4, title="Ranking")
    body = client.get("/search/", {"q": "ranking", "mode": "keyword"}).content.decode()
    assert "3+ results in" in body
    PaperFactory.create_batch(1, title="Bandits")
    assert "1 result in" in client.get("/search/", {"q": "bandits", "mode": "keyword"}).content.decode()
