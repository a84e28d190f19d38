import pytest
from django.core.cache import cache

from recsys.encoder import load_encoder, packaged_model_path


@pytest.fixture(autouse=True)
def fresh_cache():
    """Search caches coverage and categories; each test starts from what its own data says."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def encoder():
    """The real packaged model, loaded once per session (the services share this cached instance)."""
    return load_encoder(str(packaged_model_path()), "auto")


@pytest.fixture
def embedded_topical(db, encoder):
    """Four real papers, embedded with the real model by the real service."""
    from apps.embeddings.services import embed_papers
    from tests.search.factories import TOPICAL, sample_papers

    papers = sample_papers(*TOPICAL)
    embed_papers(batch_size=8)
    return {paper.arxiv_id: paper for paper in papers}
