import pytest

from apps.search.queries import SearchFilters
from apps.search.selectors import HYBRID, KEYWORD, SEMANTIC, search_papers
from apps.search.selectors.fusion import reciprocal_rank_fusion
from tests.search.factories import PATHOLOGY, RADAR_POSE, SEQUENTIAL_REC, SPARSE_REC


def test_rrf_rewards_agreement_between_lists():
    assert reciprocal_rank_fusion([1, 2, 3], [3, 4, 1]) == [1, 3, 2, 4]
    assert reciprocal_rank_fusion([5], []) == [5]
    assert reciprocal_rank_fusion([], []) == []


def ids(query: str, mode: str) -> list[str]:
    outcome = search_papers(query=query, mode=mode, filters=SearchFilters())
    return [paper.arxiv_id for paper in outcome.page.object_list]


@pytest.mark.django_db
def test_hybrid_merges_the_keyword_and_the_semantic_lists(embedded_topical):
    query = "radar recommendation"
    keyword, semantic, hybrid = ids(query, KEYWORD), ids(query, SEMANTIC), ids(query, HYBRID)
    assert keyword == []  # no paper has both words: websearch ANDs them
    assert set(semantic) == {SEQUENTIAL_REC, SPARSE_REC, RADAR_POSE, PATHOLOGY}
    assert hybrid == semantic

    query = "point clouds"
    keyword, semantic, hybrid = ids(query, KEYWORD), ids(query, SEMANTIC), ids(query, HYBRID)
    assert keyword == [RADAR_POSE]
    assert semantic[0] == RADAR_POSE and len(semantic) == 4
    # The paper on both lists leads; the semantic-only ones follow in their semantic order.
    assert hybrid == [RADAR_POSE] + [arxiv_id for arxiv_id in semantic if arxiv_id != RADAR_POSE]


@pytest.mark.django_db
def test_semantic_search_finds_papers_by_meaning_without_shared_words(embedded_topical):
    # None of these words is in the recommendation papers' titles.
    assert ids("what should a shop suggest to a customer next", SEMANTIC)[0] in {SEQUENTIAL_REC, SPARSE_REC}


@pytest.mark.django_db
def test_without_vectors_hybrid_falls_back_to_keywords_and_says_so():
    from apps.search.queries import SEMANTIC_UNAVAILABLE
    from tests.search.factories import PaperFactory

    PaperFactory(arxiv_id="2601.00031", title="Ranking with bandits")
    outcome = search_papers(query="bandits", mode=HYBRID, filters=SearchFilters())
    assert [paper.arxiv_id for paper in outcome.page.object_list] == ["2601.00031"]
    assert outcome.notices == [SEMANTIC_UNAVAILABLE]
