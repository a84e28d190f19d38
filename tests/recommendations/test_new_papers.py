"""Papers the model never saw read get the lift training chose (recsys/cold.py) from their cosine to the
reader's text profile: in the digest, the newsletters' batch and For you, as the harness scores them."""

import numpy as np
import pytest
import torch
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from apps.embeddings.models import PaperEmbedding
from apps.embeddings.selectors import active_model
from apps.recommendations import ranking
from apps.recommendations.models import ModelVersion, ReaderVector
from apps.recommendations.ranking.archive import rank_archive
from apps.recommendations.ranking.batch import rank_for_readers
from apps.recommendations.ranking.content import closest_liked_reasons
from apps.recommendations.services.training import checkpoint_extra, item_table, model_version_serve
from recsys.checkpoint import save_checkpoint
from recsys.cold import NewPapers, text_profile
from recsys.model import ModelConfig, TwoTower
from tests.recommendations import test_neighbors

pytestmark = pytest.mark.django_db
READ = 40  # the first 40 papers were read when the model was trained; the other 40 nobody had read
RULE = NewPapers(text_weight=10.0, offset=0.5)
archive, reader = test_neighbors.archive, test_neighbors.reader  # 80 papers on one topic; a reader who liked 3


def serve(tmp_path, rule: NewPapers) -> ModelVersion:
    """An active version from one fixed (untrained) hybrid network whose id rows are set for the first
    READ papers only, with `rule` for the rest."""
    torch.manual_seed(0)
    _, paper_ids = item_table()
    model = TwoTower(ModelConfig(dim=16, hidden=32, item_ids=True, id_buckets=len(paper_ids))).eval()
    with torch.no_grad():
        model.item_tower.ids.weight[:READ] = torch.randn(READ, 16)
    version = ModelVersion.objects.create(status=ModelVersion.Status.READY)
    version.checkpoint = str(tmp_path / f"model-{version.pk}.pt")
    save_checkpoint(version.checkpoint, model, checkpoint_extra(paper_ids, {}, None, rule))
    version.save()
    return model_version_serve(version=version)


def cosines(reader, paper_ids: list[int]) -> dict[int, float]:
    """Each paper's text cosine to the reader's profile: the unit mean of their liked papers' vectors."""
    vectors = dict(PaperEmbedding.objects.values_list("paper_id", "vector"))
    liked = reader.interactions.filter(kind="like").values_list("paper_id", flat=True)
    profile = text_profile(np.stack([vectors[pid] for pid in liked]))
    return {pid: float(np.asarray(vectors[pid]) @ profile) for pid in paper_ids}


def test_new_papers_are_lifted_by_their_text_in_the_digest_and_the_newsletters(archive, reader, tmp_path):
    candidates = [paper.id for paper in archive[4:]]
    _, catalogue = item_table()
    new = [pid for pid in candidates if catalogue.index(pid) >= READ]
    serve(tmp_path, NewPapers())  # no rule: the served sum as before
    before = {r.paper_id: r.score for r in ranking.rank_for_reader(user=reader, paper_ids=candidates)[0]}
    serve(tmp_path, RULE)
    ranked, method = ranking.rank_for_reader(user=reader, paper_ids=candidates)
    after = {r.paper_id: r.score for r in ranked}
    assert method == "two_tower"
    norm = float(np.linalg.norm(ReaderVector.objects.get(user=reader).vector))
    cosine = cosines(reader, new)
    for pid in candidates:  # read papers unchanged; new ones lifted by |u| (w cos + offset)
        lift = norm * (RULE.text_weight * cosine[pid] + RULE.offset) if pid in new else 0.0
        assert after[pid] == pytest.approx(before[pid] + lift, abs=1e-3)
    # a strong text weight: the new papers lead
    assert {r.paper_id for r in ranked[: len(new)]} == set(new)

    batch = rank_for_readers(users=[reader], paper_ids_by_reader={reader.pk: candidates})  # newsletters
    assert [r.paper_id for r in batch[reader.pk][0]] == [r.paper_id for r in ranked]
    assert [r.score for r in batch[reader.pk][0]] == pytest.approx([r.score for r in ranked], abs=1e-4)


def test_for_you_shows_the_new_papers_nearest_the_readers_profile(archive, reader, tmp_path):
    _, catalogue = item_table()
    serve(tmp_path, NewPapers())
    dense_top, _ = rank_archive(user=reader, paper_filter=Q(), depth=5)
    serve(tmp_path, RULE)
    ranked, method = rank_archive(user=reader, paper_filter=Q(), depth=5)
    # the whole archive ranked as the digest ranks its papers: new papers the inner product's walk
    # alone would not reach are found through the text vectors' index
    everything, _ = ranking.rank_for_reader(user=reader, paper_ids=[paper.id for paper in archive])
    assert method == "two_tower" and ranked == [r.paper_id for r in everything[:5]]
    assert all(catalogue.index(pid) >= READ for pid in ranked) and not set(ranked) & set(dense_top)


def test_the_digest_reads_the_liked_papers_and_their_text_vectors_once(archive, reader, tmp_path):
    """The profile, the lift and the reasons share one read of the reader's liked papers and one of the
    text vectors (theirs and the candidates')."""
    candidates = [paper.id for paper in archive[4:]]
    serve(tmp_path, RULE)
    first, _ = ranking.rank_for_reader(user=reader, paper_ids=candidates)  # the reader vector is cached now
    with CaptureQueriesContext(connection) as queries:
        ranked, method = ranking.rank_for_reader(user=reader, paper_ids=candidates)
    assert method == "two_tower" and ranked == first
    reasons = closest_liked_reasons(user=reader, paper_ids=candidates, text_model=active_model().name)
    assert {r.paper_id: r.reason for r in ranked} == reasons  # as read on their own
    sql = [query["sql"] for query in queries.captured_queries]
    text_reads = [s for s in sql if 'FROM "embeddings_paperembedding"' in s]
    liked_reads = [s for s in sql if 'FROM "recommendations_interaction"' in s and "'present'" in s]
    assert len(text_reads) == 1 and len(liked_reads) == 1
