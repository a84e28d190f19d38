"""For you's walk over the item vectors finds the exact top page by inner product, whatever their lengths."""

import numpy as np
import pytest
import torch
from django.db.models import Q
from django.utils import timezone

from apps.embeddings.models import EmbeddingModel
from apps.papers.models import Paper
from apps.recommendations.models import Interaction, ModelVersion, ReaderVector
from apps.recommendations.ranking.archive import rank_archive
from apps.recommendations.ranking.two_tower import column_width
from apps.recommendations.services.training import checkpoint_extra, model_version_activate
from recsys.checkpoint import save_checkpoint
from recsys.data import ItemTable
from recsys.model import ModelConfig, TwoTower
from tests.factories import PaperFactory

# transaction=True: the test ends by truncating the tables, which empties the HNSW index too; rolled
# back, its 1,500 inserts would stay in the graph as dead entries, and later tests walking it would
# find fewer of their exact top papers
pytestmark = pytest.mark.django_db(transaction=True)
PAPERS, DIM, TEXT_DIM = 1500, 16, 384


def designed_model(item_vectors: np.ndarray) -> TwoTower:
    """A two-tower whose item vectors are `item_vectors` (its id rows; the text path gives zeros), as
    served (recsys/app.py): their lengths kept, the reader's vector scored by inner product."""
    model = TwoTower(
        ModelConfig(
            text_dim=TEXT_DIM,
            id_buckets=len(item_vectors),
            item_ids=True,
            dim=item_vectors.shape[1],
            user_encoder="mean",
            normalize=False,
            normalize_items=False,
        )
    ).eval()
    with torch.no_grad():
        model.item_tower.ids.weight.copy_(torch.as_tensor(item_vectors))
        last = model.item_tower.text[-1]
        last.weight.zero_()
        last.bias.zero_()
    return model


@pytest.fixture
def served(settings, tmp_path):
    """An active version over 1,500 papers whose item vectors point anywhere and are 0.05 to 20 long,
    written by activation as a trained model's are; ({paper id: item vector}, version)."""
    settings.RETRIEVER_MODEL_DIR = tmp_path
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    rng = np.random.default_rng(0)
    directions = rng.standard_normal((PAPERS, DIM))
    lengths = np.exp(rng.uniform(np.log(0.05), np.log(20.0), PAPERS))
    vectors = (directions / np.linalg.norm(directions, axis=1, keepdims=True) * lengths[:, None]).astype(np.float32)
    paper_ids = [paper.id for paper in PaperFactory.create_batch(PAPERS)]
    model = designed_model(vectors)
    version = ModelVersion.objects.create(status=ModelVersion.Status.READY, checkpoint=str(tmp_path / "designed.pt"))
    save_checkpoint(version.checkpoint, model, checkpoint_extra(paper_ids, {}, None))
    items = ItemTable(ids=[str(pid) for pid in paper_ids], embeddings=np.zeros((PAPERS, TEXT_DIM), np.float32))
    model_version_activate(version=version, model=model, items=items, paper_ids=paper_ids, trained_ids=paper_ids)
    version.refresh_from_db()
    return dict(zip(paper_ids, vectors)), version


def reader_with_vector(django_user_model, version: ModelVersion, vector: np.ndarray, name: str):
    """A reader whose cached vector (the user tower's, as of their last action) is `vector`."""
    reader = django_user_model.objects.create_user(name, f"{name}@example.org", "pw-123456789")
    Interaction.objects.create(user=reader, paper=Paper.objects.first(), kind="view", source="digest")
    ReaderVector.objects.create(
        user=reader, model_version=version, vector=column_width(vector), history_until=timezone.now(), history_rows=[]
    )
    return reader


def test_the_page_is_the_exact_top_by_inner_product_though_the_lengths_differ(served, django_user_model):
    # The walk is over inner products, which are not a distance: a graph over them could lead to the long
    # vectors only, past shorter ones that point the reader's way (a cosine index over these vectors
    # would rank them by direction alone). Measured in bench/item_walk.py.
    vectors, version = served
    paper_ids = np.array(list(vectors))
    matrix = np.stack(list(vectors.values())).astype(np.float64)
    rng = np.random.default_rng(1)
    for i in range(5):
        query = rng.standard_normal(DIM).astype(np.float32) * 20
        reader = reader_with_vector(django_user_model, version, query, f"reader{i}")
        scores = matrix @ query
        exact = paper_ids[np.lexsort((paper_ids, -scores))][:20].tolist()
        ranked, method = rank_archive(user=reader, paper_filter=Q(), depth=20)
        assert method == "two_tower"
        assert ranked == exact
