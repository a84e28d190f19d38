"""Fixtures shared by the whole suite. The database is the real (embedded) PostgreSQL with pgvector."""

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app as celery_app
from tests.arxiv_replay import Entry, ReplayFeed, ReplayServer, sample_rows
from tests.smtp import SMTPSink


@pytest.fixture(autouse=True)
def keyword_relevance_rule(settings):
    """Ingestion tests exercise the pipeline with the transparent keyword rule (cs.IR taken whole);
    tests/papers/test_relevance.py turns the classifier on and tests it on real papers."""
    settings.RETRIEVER_RELEVANCE = {"classifier": False}


@pytest.fixture(autouse=True)
def search_thread_disconnected():
    """Hybrid search keeps a connection on its own thread (apps.search.selectors): closed after each test, so
    that nothing holds the test database when it is dropped."""
    yield
    from apps.search.selectors import close_search_connections

    close_search_connections()


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


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker thread consuming from the real (embedded) Redis broker.

    The worker talks to the database on its own connection, so tests using it commit for real
    (transactional_db) instead of running inside one rolled-back transaction.
    """
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=60) as worker:
        yield worker


@pytest.fixture
def smtp_server(settings) -> SMTPSink:
    """A real SMTP server on a free local port; Django's SMTP backend points at it."""
    with SMTPSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = sink.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield sink
