"""Fixtures shared by the whole suite. The database is the real (embedded) PostgreSQL with pgvector."""
import pytest

from tests.arxiv_replay import Entry, ReplayFeed, ReplayServer, sample_rows


@pytest.fixture
def arxiv_feed(settings) -> ReplayFeed:
    """An empty replay feed, served locally; ARXIV_* settings point at it, with no politeness delay."""
    feed = ReplayFeed()
    with ReplayServer(feed) as server:
        settings.ARXIV_API_URL = server.url
        settings.ARXIV_DELAY_SECONDS = 0
        settings.ARXIV_PAGE_SIZE = 10
        settings.ARXIV_NUM_RETRIES = 1
        yield feed


@pytest.fixture(scope="session")
def real_rows() -> list[dict]:
    return sample_rows()


@pytest.fixture
def recsys_entries(real_rows) -> list[Entry]:
    """Real cs.IR papers (always relevant), as API entries with increasing update times."""
    rows = [row for row in real_rows if "cs.IR" in row["categories"]][:25]
    return [Entry.from_row(row) for row in rows]
