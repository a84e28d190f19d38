import numpy as np
import pytest
from django.urls import reverse

from apps.recommendations.models import Interaction
from apps.recommendations.onboarding import MIN_RATINGS, TOO_FEW_RATINGS, farthest_point_order, onboarding_sample
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(django_user_model, client):
    user = django_user_model.objects.create_user("new@example.org", "new@example.org", "pw-123456789")
    client.force_login(user)
    return user


def test_farthest_point_order_spreads_over_the_space():
    cluster = np.array([[1, 0, 0], [0.99, 0.14, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    cluster /= np.linalg.norm(cluster, axis=1, keepdims=True)
    assert sorted(farthest_point_order(cluster, 3)) == [0, 2, 3]  # never two from the same corner


def test_without_vectors_the_sample_is_recent_and_varied():
    PaperFactory.create_batch(3, primary_category="cs.IR")
    PaperFactory(primary_category="cs.CL")
    sample = onboarding_sample(topics=["ctr"], size=2)
    assert {paper.primary_category for paper in sample} == {"cs.IR", "cs.CL"}


def test_the_sample_is_diverse_and_near_the_chosen_topic(embedded_topical):
    sample = onboarding_sample(topics=["sequential"], size=2)
    assert len(sample) == 2
    # Both recommendation papers are closest to the topic, but the second pick must differ from the first.
    arxiv_ids = [paper.arxiv_id for paper in sample]
    assert arxiv_ids[0] in ("2603.02709", "2603.03309")
    assert len(set(arxiv_ids)) == 2


def test_finishing_needs_enough_ratings(client, reader):
    papers = PaperFactory.create_batch(MIN_RATINGS)
    url = reverse("recommendations:onboarding") + "?step=rate"
    assert TOO_FEW_RATINGS in client.post(url, follow=True).content.decode()
    for paper in papers:
        response = client.post(
            reverse("recommendations:toggle", args=["like", paper.arxiv_id]),
            {"source": "onboarding"}, headers={"HX-Request": "true"},
        )
    assert f'<span id="rated-count" hx-swap-oob="true">{MIN_RATINGS}</span>' in response.content.decode()
    assert Interaction.objects.filter(source="onboarding").count() == MIN_RATINGS
    finished = client.post(url)
    assert finished.status_code == 302 and finished.url == reverse("digests:latest")


def test_onboarding_page_offers_topics_then_papers(client, reader):
    PaperFactory.create_batch(3)
    first = client.get(reverse("recommendations:onboarding")).content.decode()
    assert 'name="topics" value="sequential"' in first and "Rate at least" not in first
    second = client.get(reverse("recommendations:onboarding"), {"topics": ["sequential", "bogus"], "step": "rate"})
    assert second.content.decode().count('class="paper card"') == 3
