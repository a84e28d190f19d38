import pytest
from django.core.cache import cache

from apps.search.selectors import query_vector
from recsys.encoder import load_encoder, packaged_model_path


@pytest.fixture(autouse=True)
def fresh_cache():
    """Search caches coverage, categories and query vectors; each test starts from what its own data says."""
    cache.clear()
    query_vector.cache_clear()
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
