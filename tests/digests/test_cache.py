"""The digest page reads a reader's ranked week from the cache: every change they or the editors make shows at once."""

import datetime as dt
import re

import numpy as np
import pytest
from django.urls import reverse

from apps.digests.models import Decision, Pin
from apps.digests.services import decisions_set, digest_get_or_create, digest_publish
from apps.embeddings.models import EmbeddingModel
from apps.papers.weeks import Week
from apps.recommendations.models import Interaction
from tests.digests.conftest import act
from tests.search.factories import PaperEmbeddingFactory

pytestmark = pytest.mark.django_db
WEEK = Week.from_label("2026-W26")
URL = reverse("digests:week", args=[WEEK.label])
Kind = Interaction.Kind


def axis(*indices: int) -> np.ndarray:
    vector = np.zeros(384, dtype=np.float32)
    vector[list(indices)] = 1.0
    return vector / np.linalg.norm(vector)


@pytest.fixture
def week():
    """Two topics in one week: papers along axis 0 and papers along axis 1."""
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    return {
        name: PaperEmbeddingFactory(vector=vector, paper__announced=WEEK.monday + dt.timedelta(days=i)).paper
        for i, (name, vector) in enumerate(
            [
                ("a", axis(0)),
                ("a_near", axis(0, 0, 2)),
                ("b", axis(1)),
                ("b_near", axis(1, 3)),
                ("other", axis(5)),
            ]
        )
    }


def order(client) -> list[str]:
    return re.findall(r'<li class="paper card" id="paper-([^"]+)"', client.get(URL).content.decode())


def test_a_like_reorders_the_next_load_and_its_button_shows_pressed(client, signed_in_reader, week):
    act(signed_in_reader, week["a"], Kind.LIKE)
    first = order(client)
    assert first.index(week["a_near"].arxiv_id) < first.index(week["b_near"].arxiv_id)
    assert order(client) == first  # read back from the cache

    act(signed_in_reader, week["a"], Kind.LIKE)  # undone
    act(signed_in_reader, week["b"], Kind.SAVE)
    html = client.get(URL).content.decode()
    now = re.findall(r'<li class="paper card" id="paper-([^"]+)"', html)
    assert now.index(week["b_near"].arxiv_id) < now.index(week["a_near"].arxiv_id)
    assert 'aria-pressed="true">★ Saved' in html and "♥ Liked" not in html


def test_a_dismissal_is_gone_at_the_next_load(client, signed_in_reader, week):
    act(signed_in_reader, week["a"], Kind.LIKE)
    assert week["other"].arxiv_id in order(client)
    act(signed_in_reader, week["other"], Kind.DISMISS)
    assert week["other"].arxiv_id not in order(client)


def test_editors_rejections_and_published_picks_show_at_the_next_load(
    client, signed_in_reader, week, django_user_model
):
    editor = django_user_model.objects.create_user("editor", "editor@example.org", "pw-123456789")
    act(signed_in_reader, week["a"], Kind.LIKE)
    assert order(client)[0] != week["other"].arxiv_id
    decisions_set(week=WEEK, paper_ids=[week["b"].id], verdict=Decision.Verdict.REJECT, by=editor)
    assert week["b"].arxiv_id not in order(client)

    Pin.objects.create(week=WEEK.monday, paper=week["other"], note="Read this", order=1)
    digest_publish(digest=digest_get_or_create(week=WEEK), by=editor)
    shown = order(client)
    assert shown[0] == week["other"].arxiv_id and shown.count(week["other"].arxiv_id) == 1


def test_each_reader_gets_their_own_cached_week(client, signed_in_reader, week, django_user_model):
    other = django_user_model.objects.create_user("other@example.org", "other@example.org", "pw-123456789")
    act(signed_in_reader, week["a"], Kind.LIKE)
    act(other, week["b"], Kind.LIKE)
    mine = order(client)
    client.force_login(other)
    theirs = order(client)
    assert mine.index(week["a_near"].arxiv_id) < mine.index(week["b_near"].arxiv_id)
    assert theirs.index(week["b_near"].arxiv_id) < theirs.index(week["a_near"].arxiv_id)
