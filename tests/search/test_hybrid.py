import datetime as dt

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


def outcome_ids(outcome) -> list[str]:
    return [paper.arxiv_id for paper in outcome.page.object_list]


@pytest.mark.django_db
@pytest.mark.parametrize("mode", [KEYWORD, SEMANTIC, HYBRID])
def test_every_mode_respects_category_and_date_filters(embedded_topical, mode):
    from apps.papers.models import Paper

    Paper.objects.filter(arxiv_id=SEQUENTIAL_REC).update(categories=["cs.IR"], announced=dt.date(2026, 3, 2))
    Paper.objects.filter(arxiv_id=SPARSE_REC).update(categories=["cs.LG"], announced=dt.date(2026, 3, 2))
    everything = search_papers(query="recommendation", mode=mode, filters=SearchFilters())
    assert {SEQUENTIAL_REC, SPARSE_REC} <= set(outcome_ids(everything))
    by_category = search_papers(query="recommendation", mode=mode, filters=SearchFilters(category="cs.IR"))
    assert outcome_ids(by_category) == [SEQUENTIAL_REC]
    by_date = SearchFilters(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 3))
    assert set(outcome_ids(search_papers(query="recommendation", mode=mode, filters=by_date))) == {
        SEQUENTIAL_REC,
        SPARSE_REC,
    }
    outside = SearchFilters(date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 12, 31))
    assert outcome_ids(search_papers(query="recommendation", mode=mode, filters=outside)) == []


@pytest.mark.django_db
@pytest.mark.parametrize("mode", [SEMANTIC, HYBRID])
def test_semantic_and_hybrid_pages_never_repeat_a_paper(embedded_topical, mode):
    query = "recommendation"
    whole = outcome_ids(search_papers(query=query, mode=mode, filters=SearchFilters(), per_page=20))
    pages = [
        outcome_ids(search_papers(query=query, mode=mode, filters=SearchFilters(), page_number=n, per_page=1))
        for n in range(1, len(whole) + 1)
    ]
    assert len(whole) >= 2 and [paper for page in pages for paper in page] == whole


@pytest.mark.django_db
def test_a_query_is_embedded_once_for_its_pages_and_modes(embedded_topical):
    from apps.search.selectors import query_vector

    query_vector.cache_clear()
    for mode in (SEMANTIC, HYBRID, SEMANTIC):
        search_papers(query="sequential recommendation", mode=mode, filters=SearchFilters())
    assert query_vector.cache_info().misses == 1 and query_vector.cache_info().hits == 2


@pytest.mark.django_db
def test_an_encoder_that_cannot_load_leaves_hybrid_with_its_keyword_matches_and_says_why():
    # Hybrid encodes on another thread while keywords are ranked: its failure still reaches the reader.
    from apps.embeddings.models import EmbeddingModel
    from apps.embeddings.selectors import ENCODER_UNAVAILABLE
    from tests.search.factories import PaperFactory

    EmbeddingModel.objects.create(name="retired-encoder", path="/nonexistent", status=EmbeddingModel.Status.ACTIVE)
    PaperFactory(arxiv_id="2601.00041", title="Ranking with bandits")
    outcome = search_papers(query="bandits", mode=HYBRID, filters=SearchFilters())
    assert outcome_ids(outcome) == ["2601.00041"]
    assert outcome.notices == [ENCODER_UNAVAILABLE.format(name="retired-encoder")]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_hybrid_ranks_by_meaning_on_its_own_connection_with_the_same_results(embedded_topical):
    # A second connection sees only committed rows, so the semantic half moves there only outside a
    # transaction; the lists, and so the fused page, are the same either way.
    from django.db import connection, transaction

    from apps.search.selectors import _semantic_thread

    with transaction.atomic():
        in_one_transaction = [ids(query, HYBRID) for query in ("recommendation", "radar recommendation")]
    overlapped = [ids(query, HYBRID) for query in ("recommendation", "radar recommendation")]
    assert overlapped == in_one_transaction and RADAR_POSE in overlapped[1]

    def backend() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    assert _semantic_thread.submit(lambda: connection.connection is not None).result()
    assert _semantic_thread.submit(backend).result() != backend()
