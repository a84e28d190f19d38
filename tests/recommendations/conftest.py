from tests.search.conftest import embedded_topical, encoder, fresh_cache  # noqa: F401 (shared fixtures)
