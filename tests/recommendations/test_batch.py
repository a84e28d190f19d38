"""Ranking a batch of readers at once gives each of them what ranking them one at a time gives."""

import numpy as np
import pytest

from apps.embeddings.models import EmbeddingModel
from apps.recommendations import ranking, services
from apps.recommendations.models import Interaction
from apps.recommendations.ranking.batch import rank_for_readers
from apps.recommendations.services.demo import DEMO_PREFIX
from apps.recommendations.services.training import model_version_train
from tests.factories import PaperFactory, UserFactory
from tests.recommendations.test_training import QUICK
from tests.search.factories import PaperEmbeddingFactory

pytestmark = pytest.mark.django_db
Kind = Interaction.Kind


def act(user, paper, kind):
    services.interaction_toggle(user=user, paper=paper, kind=kind, source=Interaction.Source.DIGEST)


def assert_same_as_one_at_a_time(users, paper_ids_by_reader, expected_methods):
    batch = rank_for_readers(users=users, paper_ids_by_reader=paper_ids_by_reader)
    assert set(batch) == {user.pk for user in users}
    for user in users:
        single, method = ranking.rank_for_reader(user=user, paper_ids=paper_ids_by_reader[user.pk])
        ranked, batch_method = batch[user.pk]
        assert batch_method == method == expected_methods[user.pk]
        assert [(r.paper_id, r.reason) for r in ranked] == [(r.paper_id, r.reason) for r in single]
        assert [r.score for r in ranked] == pytest.approx([r.score for r in single], abs=1e-5)
    return batch


def test_content_ranking_of_a_batch_matches_each_reader_ranked_alone():
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((3, 384))

    def embedded(i):
        vector = centres[i % 3] + 0.5 * rng.standard_normal(384)
        return PaperEmbeddingFactory(vector=(vector / np.linalg.norm(vector)).astype(np.float32)).paper

    history = [embedded(i) for i in range(12)]
    week = [embedded(i) for i in range(30)] + [PaperFactory()]  # the last one has no vector yet
    readers = UserFactory.create_batch(5)
    for n, reader in enumerate(readers[:4]):
        for i, paper in enumerate(history[n : n + 4 + n]):
            act(reader, paper, Kind.SAVE if i % 2 else Kind.LIKE)
    act(readers[1], week[0], Kind.LIKE)  # a liked candidate: "You liked this paper" unless a closer one explains it
    paper_ids = {reader.pk: [p.id for p in week] for reader in readers}
    paper_ids[readers[2].pk] = [p.id for p in week[5:]]  # this one dismissed some: fewer candidates
    paper_ids[readers[3].pk] = []  # nothing left to rank

    batch = assert_same_as_one_at_a_time(
        readers, paper_ids, {**{r.pk: "content" for r in readers[:4]}, readers[4].pk: "popularity"}
    )
    assert any(r.reason for r in batch[readers[0].pk][0])  # the comparison covers reasons, not only empty ones
    assert batch[readers[0].pk][0][-1].paper_id == week[-1].id  # unembedded papers last


def test_two_tower_ranking_of_a_batch_matches_each_reader_ranked_alone(catalogue):
    model_version_train(overrides=QUICK)
    readers = list({i.user for i in Interaction.objects.filter(user__username__startswith=DEMO_PREFIX)})[:6]
    newcomer = UserFactory()  # no history: popularity
    act(readers[0], catalogue[45], Kind.LIKE)  # acted since: their cached vector (if any) is stale
    candidates = [paper.id for paper in catalogue[:30]] + [PaperEmbeddingFactory().paper.id]  # one newer than the model
    users = [*readers, newcomer]
    paper_ids = {user.pk: candidates for user in users}
    paper_ids[readers[1].pk] = candidates[10:]
    for reader in readers[2:4]:  # cache these readers' vectors first, as their digest pages would
        ranking.rank_for_reader(user=reader, paper_ids=candidates)

    batch = assert_same_as_one_at_a_time(
        users, paper_ids, {**{r.pk: "two_tower" for r in readers}, newcomer.pk: "popularity"}
    )
    assert any(r.reason for user in readers for r in batch[user.pk][0])
