""" "New for you" (ranking/new_papers.py): the papers no reader has touched, nearest the reader's text profile,
within the window, never the dismissed or excluded ones, and never a failure."""

import datetime as dt

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q

from apps.embeddings.models import EmbeddingModel, PaperEmbedding
from apps.recommendations.models import Interaction
from apps.recommendations.ranking import new_papers
from apps.recommendations.ranking.new_papers import NEW_FOR_YOU, new_for_you
from apps.recommendations.services import interaction_record, interaction_toggle
from recsys.cold import text_profile
from tests.factories import UserFactory
from tests.search.factories import one_topic_archive

pytestmark = pytest.mark.django_db
START = dt.date(2026, 1, 5)
RARE = Q(categories__contains=["cs.DL"])  # every fifth paper


@pytest.fixture
def archive(settings):
    papers = one_topic_archive(
        60, start=START, categories=lambda i: ["cs.IR", "cs.DL"] if i % 5 == 0 else ["cs.IR"], seed=5
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's estimate of a window's size decides walk or exact scan
    return papers


@pytest.fixture
def reader(archive):
    reader = UserFactory()
    interaction_toggle(user=reader, paper=archive[0], kind="like", source="digest")
    interaction_toggle(user=reader, paper=archive[1], kind="save", source="digest")
    return reader


@pytest.fixture
def others(archive):
    """Another reader opened or liked the first half: those papers are no longer new."""
    other = UserFactory()
    for paper in archive[2:30]:
        if paper.pk % 2:
            interaction_toggle(user=other, paper=paper, kind="like", source="digest")
        else:
            interaction_record(user=other, paper=paper, kind="view", source="digest")
    return other


def by_cosine(reader, paper_ids) -> list[int]:
    """`paper_ids` ranked by their text's cosine to the reader's profile, computed here from the vectors."""
    vectors = {pid: np.asarray(v) for pid, v in PaperEmbedding.objects.values_list("paper_id", "vector")}
    liked = Interaction.objects.filter(user=reader, kind__in=["like", "save"]).values_list("paper_id", flat=True)
    profile = text_profile(np.stack([vectors[pid] for pid in liked]))
    return sorted(paper_ids, key=lambda pid: -float(vectors[pid] @ profile))


def test_the_slot_is_the_untouched_papers_nearest_the_readers_text(archive, reader, others):
    untouched = [paper.id for paper in archive[30:]]
    found = new_for_you(user=reader, paper_filter=Q())
    assert [r.paper_id for r in found] == by_cosine(reader, untouched)[:NEW_FOR_YOU]
    assert all(a.score >= b.score for a, b in zip(found, found[1:]))
    liked_titles = {archive[0].title, archive[1].title}
    for ranked in found:
        assert ranked.reason.startswith("New — close to “")
        assert any(f"“{title}”" in ranked.reason for title in liked_titles)


def test_the_window_dismissals_and_the_pages_papers_are_left_out(archive, reader, others):
    untouched = [paper.id for paper in archive[30:]]
    best = by_cosine(reader, untouched)
    interaction_toggle(user=reader, paper=archive[30:][untouched.index(best[0])], kind="dismiss", source="digest")
    found = new_for_you(user=reader, paper_filter=Q(), exclude=best[1:3])
    assert [r.paper_id for r in found] == best[3 : 3 + NEW_FOR_YOU]
    rare = [paper.id for paper in archive[30:] if "cs.DL" in paper.categories]
    in_window = new_for_you(user=reader, paper_filter=RARE, limit=10)
    assert [r.paper_id for r in in_window] == [pid for pid in by_cosine(reader, rare) if pid != best[0]]


def test_reading_a_new_paper_takes_it_out_of_the_slot(archive, reader, others):
    first = new_for_you(user=reader, paper_filter=Q())[0].paper_id
    interaction_record(user=others, paper=archive[[p.id for p in archive].index(first)], kind="open", source="digest")
    assert first not in [r.paper_id for r in new_for_you(user=reader, paper_filter=Q())]


def test_nothing_to_rank_from_is_an_empty_slot(archive, reader, others, caplog, monkeypatch):
    assert new_for_you(user=AnonymousUser(), paper_filter=Q()) == []
    assert new_for_you(user=UserFactory(), paper_filter=Q()) == []  # no liked papers: no profile
    assert new_for_you(user=reader, paper_filter=Q(announced__lt=START)) == []  # nothing in the window
    for paper in archive[30:]:
        interaction_record(user=others, paper=paper, kind="view", source="digest")
    assert new_for_you(user=reader, paper_filter=Q()) == []  # every paper has been read
    EmbeddingModel.objects.update(status=EmbeddingModel.Status.RETIRED)
    assert new_for_you(user=reader, paper_filter=Q()) == []  # no text model serving


def test_a_failure_is_logged_and_leaves_the_slot_empty(archive, reader, caplog, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the index is being rebuilt")

    monkeypatch.setattr(new_papers, "nearest_papers", broken)
    assert new_for_you(user=reader, paper_filter=Q()) == []
    assert "Ranking the new papers failed" in caplog.text
