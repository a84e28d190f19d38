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
    assert semantic[0] == RADAR_POSE and PATHOLOGY not in semantic
    assert hybrid == semantic

    query = "recommendation"
    keyword, semantic, hybrid = ids(query, KEYWORD), ids(query, SEMANTIC), ids(query, HYBRID)
    assert set(keyword) == {SEQUENTIAL_REC, SPARSE_REC}
    assert RADAR_POSE not in semantic and PATHOLOGY not in semantic
    # Papers on both lists lead; the others follow in their list's order.
    assert set(hybrid[:2]) == {SEQUENTIAL_REC, SPARSE_REC} and len(hybrid) == len(set(keyword) | set(semantic))


@pytest.mark.django_db
def test_meaning_and_hybrid_cut_papers_that_are_not_near_the_query(embedded_topical):
    # Every catalogue paper is "nearest" to gibberish; none is near it.
    assert ids("zzqqxx flarbo", SEMANTIC) == [] and ids("zzqqxx flarbo", HYBRID) == []
    assert ids("chocolate cake recipe", SEMANTIC) == []
    assert ids("point clouds from radar", SEMANTIC)[0] == RADAR_POSE


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
