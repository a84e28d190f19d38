import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker thread consuming from the real (embedded) Redis broker.

    The worker talks to the database on its own connection, so tests using it commit for real
    (transactional_db) instead of running inside one rolled-back transaction.
    """
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker
