""" "New for you" (ranking/new_papers.py): the papers no reader has touched, nearest the reader's text profile,
within the window (exactly when the walk comes back short), never the dismissed or excluded ones, each with
the site's reason, and never a failure."""

import datetime as dt
import re

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from apps.embeddings import selectors
from apps.embeddings.models import EmbeddingModel, PaperEmbedding
from apps.recommendations.models import Interaction
from apps.recommendations.ranking import new_papers
from apps.recommendations.ranking.content import closest_liked_reasons
from apps.recommendations.ranking.new_papers import NEW_FOR_YOU, new_for_you
from apps.recommendations.services import interaction_record, interaction_toggle
from recsys.cold import text_profile
from tests.factories import UserFactory
from tests.search.factories import move_near, one_topic_archive, random_archive, walk_as_at_scale

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


def test_each_new_paper_names_the_liked_paper_it_is_like_as_every_card_does(archive, reader, others):
    move_near(archive[30:32], archive[0], seed=1)  # two new papers close to the liked one, one to the saved
    move_near(archive[32:33], archive[1], seed=2)
    found = new_for_you(user=reader, paper_filter=Q())
    reasons = {ranked.paper_id: ranked.reason for ranked in found}
    assert {archive[30].id, archive[31].id, archive[32].id} < set(reasons)
    assert reasons[archive[30].id] == reasons[archive[31].id] == f"Similar to “{archive[0].title}”, which you liked"
    assert reasons[archive[32].id] == f"Similar to “{archive[1].title}”, which you saved"
    (far,) = set(reasons) - {archive[30].id, archive[31].id, archive[32].id}
    assert reasons[far] == ""  # no liked paper is close to it (cosine about 0.3): the card makes no claim
    shared = closest_liked_reasons(user=reader, paper_ids=list(reasons), text_model="all-MiniLM-L6-v2")
    assert reasons == shared


def test_the_slot_reads_the_liked_papers_vectors_once_and_the_new_ones_with_the_search(archive, reader, others):
    with CaptureQueriesContext(connection) as queries:
        found = new_for_you(user=reader, paper_filter=Q(categories__contains=["cs.IR"]))
    assert len(found) == NEW_FOR_YOU
    sql = [query["sql"] for query in queries.captured_queries]
    searches = [s for s in sql if "<=>" in s]
    by_id = [s for s in sql if "vector_send" in s and "<=>" not in s]
    history = [s for s in sql if 'FROM "recommendations_interaction"' in s and "'present'" in s]
    titles = [s for s in sql if '"papers_paper"."title" AS "title"' in s]
    assert len(searches) == 1 and "vector_send" in searches[0] and re.search(r"NOT \(*EXISTS", searches[0])
    assert len(by_id) == 1 and len(history) == 1 and len(titles) == 1


def test_the_window_dismissals_and_the_pages_papers_are_left_out(archive, reader, others):
    untouched = [paper.id for paper in archive[30:]]
    best = by_cosine(reader, untouched)
    interaction_toggle(user=reader, paper=archive[30:][untouched.index(best[0])], kind="dismiss", source="digest")
    found = new_for_you(user=reader, paper_filter=Q(), exclude=best[1:3])
    assert [r.paper_id for r in found] == best[3 : 3 + NEW_FOR_YOU]
    rare = [paper.id for paper in archive[30:] if "cs.DL" in paper.categories]
    in_window = new_for_you(user=reader, paper_filter=RARE, limit=10)
    assert [r.paper_id for r in in_window] == [pid for pid in by_cosine(reader, rare) if pid != best[0]]


def test_a_window_the_walk_comes_back_short_on_still_fills_the_slot(monkeypatch):
    """A category busy long ago, since a recent date: the planner expects a quarter of the archive in the
    window where 5 papers are, so the graph is walked, and the walk gives up before it finds four. Scaled
    from 100,000 papers to 2,500 as in tests/embeddings/test_store.py."""
    papers, vectors = random_archive(
        2500, start=START, categories=lambda i: ["cs.DL"] if i < 1250 or i % 250 == 0 else ["cs.IR"], seed=17
    )
    inside = [i for i in range(1250, 2500) if papers[i].categories == ["cs.DL"]]
    # The window's papers on the far side of the reader's profile: a walk that gives up after 500 rows
    # then never reaches four of them, however the (randomly levelled) graph was built. With random
    # vectors it sometimes did, and the exact scan was not needed.
    far_side = np.random.default_rng(5).standard_normal((len(inside), vectors.shape[1])).astype(np.float32)
    far_side = far_side / np.linalg.norm(far_side, axis=1, keepdims=True) - 2 * vectors[1]
    vectors[inside] = far_side / np.linalg.norm(far_side, axis=1, keepdims=True)
    for i in inside:
        PaperEmbedding.objects.filter(paper=papers[i]).update(vector=vectors[i])
    reader = UserFactory()
    interaction_toggle(user=reader, paper=papers[1], kind="like", source="digest")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    walk_as_at_scale()
    walked = []
    monkeypatch.setattr(
        selectors,
        "nearest_queryset",
        lambda original=selectors.nearest_queryset, **kwargs: walked.append(not kwargs["exact"]) or original(**kwargs),
    )
    monkeypatch.setattr(selectors, "EXACT_SCAN_MAX_PAPERS", 125)

    found = new_for_you(user=reader, paper_filter=RARE & Q(announced__gte=START + dt.timedelta(days=1250)))
    assert walked == [True, False]  # the walk came back short, and the exact scan filled the slot
    truth = sorted(inside, key=lambda i: -float(vectors[i] @ vectors[1]))[:NEW_FOR_YOU]
    assert [ranked.paper_id for ranked in found] == [papers[i].pk for i in truth]


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
