"""A worker killed (SIGKILL) in the middle of a batch, then a fresh one: each email goes out exactly once.

The workers are real processes on the real broker, so the kill is a real crash: the message was never
acknowledged (acks_late) and the broker hands it to the next worker, whose batch skips what is sent.
"""

import os
import signal
import subprocess
import sys
from collections import Counter
from urllib.parse import urlsplit

import pytest
from django.db import connection, transaction

from apps.newsletters.models import NewsletterDelivery
from apps.newsletters.services import newsletters_start
from config.celery import app as celery_app
from tasks.newsletters import send_newsletter_batch_task
from tests.factories import UserFactory
from tests.newsletters.conftest import WEEK, wait_for

pytestmark = pytest.mark.usefixtures("newsletter_settings")
Status = NewsletterDelivery.Status
# A killed worker's message comes back after the visibility timeout; seconds here instead of an hour.
WORKER = """
from config.celery import app
app.conf.broker_transport_options = {
    "visibility_timeout": 3, "unacked_restore_interval": 1, "unacked_restore_throttle": 1,
}
app.worker_main(["worker", "--pool=solo", "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"])
"""


def database_url_of_the_tests() -> str:
    """DATABASE_URL (the embedded server's, set by devstack) naming pytest-django's test database."""
    return urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}").geturl()


def start_worker(smtp_port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_the_tests(),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "NEWSLETTER_RATE_LIMIT": "0",
        "SITE_URL": "http://testserver",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    return subprocess.Popen([sys.executable, "-c", WORKER], env=env, start_new_session=True)


def stop(worker: subprocess.Popen, signum=signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signum)
        worker.wait(30)


def test_a_worker_killed_mid_batch_then_restarted_sends_each_email_exactly_once(
    transactional_db, smtp_server, week_papers
):
    readers = UserFactory.create_batch(6)
    with transaction.atomic():
        delivery_ids = newsletters_start(week=WEEK)
    celery_app.control.purge()
    smtp_server.hold_after(2)  # the third email hangs in the SMTP DATA phase until the worker is dead
    send_newsletter_batch_task.delay(delivery_ids)

    first = start_worker(smtp_server.port)
    try:
        assert smtp_server.holding.wait(90), "the first worker never reached the third email"
        stop(first, signal.SIGKILL)
    finally:
        stop(first, signal.SIGKILL)
    smtp_server.release()  # the server never said 250: that email was not accepted
    statuses = Counter(NewsletterDelivery.objects.values_list("status", flat=True))
    assert statuses == {Status.SENT: 2, Status.SENDING: 4}  # the killed batch's claim, the lock gone with it

    second = start_worker(smtp_server.port)
    try:
        assert wait_for(lambda: NewsletterDelivery.objects.filter(status=Status.SENT).count() == 6, timeout=90)
    finally:
        stop(second)
    assert Counter(m["To"] for m in smtp_server.messages) == {reader.email: 1 for reader in readers}
