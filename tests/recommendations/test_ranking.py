"""Ranking falls back from the model to content similarity to popularity, never failing a page."""

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser

from apps.embeddings.models import EmbeddingModel
from apps.recommendations import ranking, services
from apps.recommendations.models import Interaction
from tests.factories import PaperFactory
from tests.search.factories import PaperEmbeddingFactory

pytestmark = pytest.mark.django_db
Kind = Interaction.Kind


@pytest.fixture
def reader(django_user_model):
    return django_user_model.objects.create_user("reader@example.org", "reader@example.org", "pw-123456789")


def like(user, paper, kind=Kind.LIKE):
    services.interaction_toggle(user=user, paper=paper, kind=kind, source=Interaction.Source.DIGEST)


def axis(i: int, dims: int = 384) -> np.ndarray:
    vector = np.zeros(dims, dtype=np.float32)
    vector[i] = 1.0
    return vector


def test_anonymous_readers_get_popularity_then_recency(django_user_model):
    import datetime as dt

    new, old, popular = (PaperFactory(announced=dt.date(2026, 6, day)) for day in (20, 10, 1))
    for i in range(2):
        fan = django_user_model.objects.create_user(f"fan{i}", f"fan{i}@example.org", "pw-123456789")
        like(fan, popular)
    ranked, method = ranking.rank_for_reader(user=AnonymousUser(), paper_ids=[old.id, popular.id, new.id])
    assert method == "popularity"
    assert [r.paper_id for r in ranked] == [popular.id, new.id, old.id]
    assert ranked[0].reason == "2 readers liked or saved it"


def test_content_similarity_ranks_what_is_close_to_the_readers_likes(reader):
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    liked = PaperEmbeddingFactory(vector=axis(0), paper__title="Sequential recommendation").paper
    near = PaperEmbeddingFactory(vector=(axis(0) + axis(1)) / np.sqrt(2)).paper
    far = PaperEmbeddingFactory(vector=axis(2)).paper
    unembedded = PaperFactory()
    like(reader, liked, Kind.SAVE)

    ranked, method = ranking.rank_for_reader(user=reader, paper_ids=[far.id, unembedded.id, near.id])
    assert method == "content"
    assert [r.paper_id for r in ranked] == [near.id, far.id, unembedded.id]
    assert ranked[0].reason == "Similar to “Sequential recommendation”, which you saved"


def test_a_reader_without_history_falls_back_to_popularity(reader):
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    paper = PaperEmbeddingFactory().paper
    assert ranking.rank_for_reader(user=reader, paper_ids=[paper.id])[1] == "popularity"


def test_a_failing_ranker_is_skipped(reader, monkeypatch, caplog):
    def broken_ranking(**kwargs):
        raise RuntimeError("model file is corrupt")

    monkeypatch.setattr(ranking, "personal_rankers", lambda: [broken_ranking])
    paper = PaperFactory()
    ranked, method = ranking.rank_for_reader(user=reader, paper_ids=[paper.id])
    assert method == "popularity" and [r.paper_id for r in ranked] == [paper.id]
    assert "Ranking with broken_ranking failed" in caplog.text


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def test_reasons_never_name_the_paper_itself_and_a_broad_like_does_not_explain_every_card(reader):
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    a = axis
    bandits = PaperEmbeddingFactory(vector=a(0), paper__title="Bandits").paper
    graphs = PaperEmbeddingFactory(vector=a(1), paper__title="Graphs").paper
    survey = PaperEmbeddingFactory(vector=unit(a(0) + a(1) + a(2) + a(3)), paper__title="Survey").paper  # close to all
    for paper in (bandits, graphs, survey):
        like(reader, paper)
    near_bandits = PaperEmbeddingFactory(vector=unit(1.5 * a(0) + a(2) + a(3))).paper
    near_graphs = PaperEmbeddingFactory(vector=unit(1.5 * a(1) + a(2) + a(3))).paper
    only_survey = PaperEmbeddingFactory(vector=unit(a(2) + a(3) + a(4))).paper
    unrelated = PaperEmbeddingFactory(vector=a(9)).paper

    ranked, method = ranking.rank_for_reader(
        user=reader, paper_ids=[near_bandits.id, near_graphs.id, only_survey.id, unrelated.id, survey.id]
    )
    reasons = {r.paper_id: r.reason for r in ranked}
    assert method == "content"
    # The survey is each card's nearest like, yet the specific likes explain their neighbours better.
    assert reasons[near_bandits.id] == "Similar to “Bandits”, which you liked"
    assert reasons[near_graphs.id] == "Similar to “Graphs”, which you liked"
    assert reasons[only_survey.id] == "Similar to “Survey”, which you liked"
    assert "Survey" not in reasons[survey.id]  # the liked paper's own card
    assert reasons[unrelated.id] == ""  # nothing close: no claim


def test_papers_without_vectors_are_not_passed_off_as_ranked_by_similarity(reader):
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    liked = PaperEmbeddingFactory(vector=axis(0)).paper
    like(reader, liked)
    waiting = PaperFactory.create_batch(2)
    ranked, method = ranking.rank_for_reader(user=reader, paper_ids=[paper.id for paper in waiting])
    assert method == "popularity" and all("Similar" not in r.reason for r in ranked)
