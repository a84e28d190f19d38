import numpy as np
import pytest

from apps.embeddings.models import EmbeddingModel
from apps.recommendations.services.demo import demo_readers_seed
from tests.search.conftest import embedded_topical, encoder, fresh_cache  # noqa: F401 (shared fixtures)
from tests.search.factories import PaperEmbeddingFactory


@pytest.fixture
def catalogue(settings, tmp_path):
    """60 papers in two topical clusters, with vectors under an active text model, and simulated readers."""
    settings.RETRIEVER_MODEL_DIR = tmp_path
    settings.RETRIEVER_TRAIN = {"device": "cpu"}
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((2, 384))
    papers = []
    for i in range(60):
        vector = centres[i % 2] + 0.6 * rng.standard_normal(384)
        papers.append(PaperEmbeddingFactory(vector=(vector / np.linalg.norm(vector)).astype(np.float32)).paper)
    assert demo_readers_seed(readers=40) > 0
    return papers
