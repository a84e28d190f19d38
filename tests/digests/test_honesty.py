"""The digest says what was actually done: "for you" only when it is, and how far embedding has got."""

import datetime as dt

import numpy as np
import pytest
from django.core.cache import cache
from django.urls import reverse

from apps.embeddings.models import EmbeddingModel
from apps.papers.weeks import Week
from apps.recommendations import services
from apps.recommendations.models import Interaction
from tests.factories import PaperFactory
from tests.search.factories import PaperEmbeddingFactory

pytestmark = pytest.mark.django_db
WEEK = Week.from_label("2026-W26")
URL = reverse("digests:week", args=[WEEK.label])


@pytest.fixture(autouse=True)
def fresh_cache():
    """Progress is cached per serving generation; each test starts from what its own data says."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reader(django_user_model, client):
    user = django_user_model.objects.create_user("reader@example.org", "reader@example.org", "pw-123456789")
    client.force_login(user)
    return user


def this_week(**kwargs):
    return PaperFactory(announced=WEEK.monday + dt.timedelta(days=1), **kwargs)


def test_a_reader_without_history_is_not_told_the_digest_is_ranked_for_them(client, reader):
    this_week()
    body = client.get(URL).content.decode()
    assert "Not ranked for you yet" in body and "Ranked for you" not in body
    assert ">For you <" not in body and "This week" in body


def test_while_papers_wait_for_vectors_the_digest_says_so_and_shows_progress(client, reader):
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    liked = PaperEmbeddingFactory(vector=np.eye(384, dtype=np.float32)[0], paper__announced=dt.date(2026, 6, 1)).paper
    services.interaction_toggle(user=reader, paper=liked, kind="like", source=Interaction.Source.DIGEST)
    this_week(), this_week()
    body = client.get(URL).content.decode()
    assert "Ranked for you" not in body and "Not ranked for you yet" in body
    assert (
        "Reading new papers: 1 of 3 done." in body
        and '<progress id="embedding-progress-bar" max="3" value="1">' in body
    )
    assert 'hx-get="/digest/progress/"' in body and 'hx-trigger="every 5s"' in body


def test_the_progress_line_stops_polling_once_every_paper_is_read(client, reader):
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    paper = this_week()
    progress = reverse("digests:embedding_progress")
    assert "0 of 1 done" in client.get(progress).content.decode()
    PaperEmbeddingFactory(paper=paper)
    body = client.get(
        progress, headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{URL}"}
    ).content.decode()
    assert "Every paper has been read" in body and "every 5s" not in body and f'href="http://testserver{URL}"' in body


def test_a_personal_ranking_says_so(client, reader):
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    liked = PaperEmbeddingFactory(vector=np.eye(384, dtype=np.float32)[0], paper__announced=dt.date(2026, 6, 1)).paper
    services.interaction_toggle(user=reader, paper=liked, kind="like", source=Interaction.Source.DIGEST)
    PaperEmbeddingFactory(paper=this_week())
    body = client.get(URL).content.decode()
    assert "Ranked for you by similarity to what you liked and saved." in body and "Reading new papers" not in body


def test_the_expanded_view_shows_abstracts_inline_and_the_personal_score(client, reader):
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    liked = PaperEmbeddingFactory(vector=np.eye(384, dtype=np.float32)[0], paper__announced=dt.date(2026, 6, 1)).paper
    services.interaction_toggle(user=reader, paper=liked, kind="like", source=Interaction.Source.DIGEST)
    vector = np.eye(384, dtype=np.float32)[0] + np.eye(384, dtype=np.float32)[1]
    paper = PaperEmbeddingFactory(
        vector=vector / np.linalg.norm(vector), paper=this_week(abstract="An abstract.")
    ).paper
    compact = client.get(URL).content.decode()
    assert '<details class="abstract">' in compact and "Score " not in compact
    expanded = client.get(URL, {"view": "expanded"}).content.decode()
    assert '<p class="abstract-inline math">An abstract.</p>' in expanded and "Score 0.707" in expanded
    assert f'href="/digest/{WEEK.label}/"' in expanded or "Compact view" in expanded
    assert paper.title in expanded
