"""Readers' weeks ranked ahead: a recent reader's first visit reads a ranking that equals a fresh one."""

import datetime as dt
import re
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.digests import selectors
from apps.digests.services import digest_get_or_create, digest_publish
from apps.digests.services.warming import active_reader_ids, digest_weeks_warm
from apps.embeddings.models import EmbeddingModel
from apps.papers.weeks import Week
from apps.recommendations.models import Interaction
from tests.digests.conftest import act
from tests.digests.test_cache import axis
from tests.search.factories import PaperEmbeddingFactory

WEEK = Week.from_label("2026-W26")
URL = reverse("digests:week", args=[WEEK.label])
RANKING_READ = '"embeddings_paperembedding"."vector"'  # ranking reads the papers' vectors; a page never does


@pytest.fixture
def papers(db):
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    return [
        PaperEmbeddingFactory(vector=axis(i % 4, 4 + i), paper__announced=WEEK.monday + dt.timedelta(days=i % 5)).paper
        for i in range(12)
    ]


def order(client) -> list[str]:
    return re.findall(r'<li class="paper card" id="paper-([^"]+)"', client.get(URL).content.decode())


@pytest.mark.django_db
def test_only_recently_active_readers_are_ranked_ahead(papers, django_user_model):
    recent, idle = (django_user_model.objects.create_user(name, f"{name}@example.org") for name in ("recent", "idle"))
    act(recent, papers[0], Interaction.Kind.LIKE)
    act(idle, papers[1], Interaction.Kind.LIKE)
    Interaction.objects.filter(user=idle).update(created_at=timezone.now() - dt.timedelta(days=30))
    assert active_reader_ids() == [recent.pk]

    assert digest_weeks_warm() == {"week": WEEK.label, "ranked": 1, "already": 0}
    assert not selectors.ranked_week_cached(user=recent, week=WEEK)  # there already
    assert selectors.ranked_week_cached(user=idle, week=WEEK)  # was not: ranked now
    assert digest_weeks_warm() == {"week": WEEK.label, "ranked": 0, "already": 1}


@pytest.mark.django_db
def test_a_warmed_first_visit_ranks_nothing_and_shows_what_a_fresh_ranking_shows(client, signed_in_reader, papers):
    act(signed_in_reader, papers[0], Interaction.Kind.LIKE)
    act(signed_in_reader, papers[5], Interaction.Kind.DISMISS)
    digest_weeks_warm()
    with CaptureQueriesContext(connection) as warm:
        warm_order = order(client)
    assert not any(RANKING_READ in query["sql"] for query in warm.captured_queries)  # no ranking

    cache.clear()
    client.force_login(signed_in_reader)
    with CaptureQueriesContext(connection) as cold:
        assert order(client) == warm_order
    assert any(RANKING_READ in query["sql"] for query in cold.captured_queries)
    assert papers[5].arxiv_id not in warm_order and len(warm_order) == len(papers) - 1

    top = next(paper for paper in papers if paper.arxiv_id == warm_order[0])
    act(signed_in_reader, top, Interaction.Kind.DISMISS)  # after warming: gone at the next load
    assert top.arxiv_id not in order(client)


def test_publishing_ranks_recent_readers_weeks_ahead(celery_worker, papers, django_user_model):
    reader = django_user_model.objects.create_user("reader", "reader@example.org")
    act(reader, papers[0], Interaction.Kind.LIKE)
    assert not selectors.week_is_ranked(user=reader, week=WEEK)
    digest_publish(digest=digest_get_or_create(week=WEEK), by=None)  # commits: the signal reaches the worker
    deadline = time.monotonic() + 60
    while not selectors.week_is_ranked(user=reader, week=WEEK) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert selectors.week_is_ranked(user=reader, week=WEEK)
