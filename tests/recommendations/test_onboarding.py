import numpy as np
import pytest
from django.urls import reverse

from apps.recommendations.models import Interaction
from apps.recommendations.onboarding import MIN_RATINGS, TOO_FEW_RATINGS, medoids, onboarding_sample
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(django_user_model, client):
    user = django_user_model.objects.create_user("new@example.org", "new@example.org", "pw-123456789")
    client.force_login(user)
    return user


def unit(rows) -> np.ndarray:
    vectors = np.array(rows, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_medoids_are_typical_members_of_distinct_clusters_never_outliers():
    rng = np.random.default_rng(0)
    big = unit(np.array([1, 0, 0, 0]) + 0.05 * rng.standard_normal((6, 4)))
    small = unit(np.array([0, 1, 0, 0]) + 0.05 * rng.standard_normal((4, 4)))
    outlier = unit([[0, 0, 0.2, 1]])
    vectors = np.vstack([big, small, outlier])
    centre = lambda rows: int(np.argmax(rows @ rows.mean(0)))  # noqa: E731
    picked = medoids(vectors, 2)
    assert picked[0] == centre(big) and 6 <= picked[1] < 10  # farthest-point sampling would take the outlier (10)
    three = medoids(vectors, 3)
    assert three[0] == centre(big) and 6 <= three[1] < 10 and three[2] == 10  # a singleton comes last


def test_without_vectors_the_sample_is_recent_and_varied():
    PaperFactory.create_batch(3, primary_category="cs.IR")
    PaperFactory(primary_category="cs.CL")
    sample = onboarding_sample(topics=["ctr"], size=2)
    assert {paper.primary_category for paper in sample} == {"cs.IR", "cs.CL"}


def test_the_sample_stays_within_the_chosen_topic(embedded_topical):
    # Two recommendation papers and two vision papers: the sequential topic shows the recommendation
    # ones, never a vision outlier for the sake of diversity.
    sample = onboarding_sample(topics=["sequential"], size=2)
    assert {paper.arxiv_id for paper in sample} == {"2603.02709", "2603.03309"}
    # Two topics take turns: the first two papers come one from each.
    sample = onboarding_sample(topics=["sequential", "multimodal"], size=4)
    assert len(sample) == len({paper.id for paper in sample}) >= 2


def test_finishing_needs_enough_ratings(client, reader):
    papers = PaperFactory.create_batch(MIN_RATINGS)
    url = reverse("recommendations:onboarding") + "?step=rate"
    assert TOO_FEW_RATINGS in client.post(url, follow=True).content.decode()
    for paper in papers:
        response = client.post(
            reverse("recommendations:toggle", args=["like", paper.arxiv_id]),
            {"source": "onboarding"},
            headers={"HX-Request": "true"},
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


def test_a_text_model_that_cannot_load_falls_back_to_recent_papers():
    from apps.embeddings.models import EmbeddingModel

    EmbeddingModel.objects.create(name="gone", path="/nonexistent/model", status=EmbeddingModel.Status.ACTIVE)
    paper = PaperFactory()
    assert onboarding_sample(topics=["llm"], size=3) == [paper]
