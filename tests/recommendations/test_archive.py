"""A narrow window of the archive (a rare category, a short span) is ranked exactly, not starved by HNSW."""

import datetime as dt

import numpy as np
import pytest
from django.db import connection
from django.db.models import Q

from apps.papers.models import Paper
from apps.recommendations.models import Interaction
from apps.recommendations.ranking.archive import is_narrow, rank_archive
from apps.recommendations.services import interaction_toggle
from tests.search.factories import one_topic_archive

pytestmark = pytest.mark.django_db
START = dt.date(2026, 1, 5)
RARE = Q(categories__contains=["cs.DL"])  # every tenth paper: 30 of 300


@pytest.fixture
def archive():
    """300 embedded papers around one topic, one a day; every tenth also in cs.DL."""
    papers = one_topic_archive(
        300, start=START, categories=lambda i: ["cs.IR", "cs.DL"] if i % 10 == 0 else ["cs.IR"], seed=1
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's estimate of a window's size decides the method
    return papers


def exact_ranking(reader, papers, paper_filter: Q) -> list[int]:
    """Every paper in the window that the reader has not dismissed, by cosine to their liked papers' mean."""
    liked = Interaction.objects.filter(user=reader, kind__in=["like", "save"]).values_list("paper_id", flat=True)
    dismissed = set(Interaction.objects.filter(user=reader, kind="dismiss").values_list("paper_id", flat=True))
    vectors = {p.id: np.asarray(p.embeddings.get().vector, dtype=np.float64) for p in papers}
    profile = np.mean([vectors[pid] for pid in liked], axis=0)
    window = Paper.objects.filter(paper_filter).values_list("id", flat=True)
    cosine = {pid: vectors[pid] @ profile / np.linalg.norm(profile) for pid in window if pid not in dismissed}
    return sorted(cosine, key=lambda pid: (-cosine[pid], pid))


@pytest.fixture
def reader(django_user_model, archive):
    reader = django_user_model.objects.create_user("reader", "reader@example.org", "pw-123456789")
    for paper in archive[1:4]:
        interaction_toggle(user=reader, paper=paper, kind="like", source="digest")
    return reader


def test_the_windows_size_chooses_the_method(settings, archive):
    settings.RETRIEVER_EXACT_WINDOW_ROWS = 100
    assert is_narrow(RARE) and is_narrow(Q(announced__gte=START + dt.timedelta(days=250)))
    assert not is_narrow(Q()) and not is_narrow(Q(categories__contains=["cs.IR"]))


def test_a_narrow_window_is_exactly_the_top_of_an_exact_scan_without_dismissed_papers(archive, reader):
    nearest_in_window = exact_ranking(reader, archive, RARE)[0]
    interaction_toggle(user=reader, paper=Paper.objects.get(pk=nearest_in_window), kind="dismiss", source="digest")
    assert is_narrow(RARE)
    ranked, method = rank_archive(user=reader, paper_filter=RARE, depth=20)
    assert method == "content"
    assert ranked == exact_ranking(reader, archive, RARE)[:20]
    assert nearest_in_window not in ranked
    everything, _ = rank_archive(user=reader, paper_filter=RARE, depth=100)  # deeper than the window
    assert everything == exact_ranking(reader, archive, RARE) and len(everything) == 29


def test_a_narrow_window_pages_in_the_exact_order_without_repeats(client, archive, reader):
    from apps.digests.for_you import for_you_page
    from apps.search.queries import SearchFilters

    filters = SearchFilters(category="cs.DL", date_from=START + dt.timedelta(days=50))
    shown, new, page = [], [], 1
    while page:
        result = for_you_page(user=reader, filters=filters, page=page)
        shown += [card.paper.id for card in result.cards]
        new += [card.paper.id for card in result.new or []]  # the first page's "New for you" slot
        page = result.next_page
    window = RARE & Q(announced__gte=filters.date_from)
    exact = exact_ranking(reader, archive, window)
    assert new and not set(new) & set(shown) and len(exact) == 25  # two pages, less the slot
    assert shown == [paper_id for paper_id in exact if paper_id not in new]
