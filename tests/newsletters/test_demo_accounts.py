"""The demo's simulated accounts (`make run`'s readers and seminar speakers) are nobody's inbox: the
newsletter neither counts them as subscribers (nor as unsubscribed) nor sends to them."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from apps.accounts.models import EmailFrequency, Profile
from apps.accounts.services import demo_readers_bulk_create
from apps.newsletters.models import NewsletterDelivery
from apps.newsletters.services import Outcome, deliveries_send, is_subscribed, newsletters_start, subscribers
from apps.papers.services import import_snapshot
from apps.seminars.services.demo import demo_seminar_seed
from config.devstack import SAMPLE_PAPERS
from tests.newsletters.conftest import WEEK

pytestmark = pytest.mark.usefixtures("newsletter_settings")


def run(*args) -> str:
    out = StringIO()
    call_command("send_newsletters", *args, stdout=out, verbosity=0)
    return out.getvalue()


@pytest.fixture
def demo_readers(db):
    readers = demo_readers_bulk_create(
        accounts=[(f"demo-reader-{i}", f"demo-reader-{i}@example.org") for i in range(3)]
    )
    Profile.objects.filter(user=readers[2]).update(email_frequency=EmailFrequency.OFF)
    return readers


def test_demo_readers_are_neither_counted_nor_sent_while_real_readers_are(
    smtp_server, published, readers, demo_readers
):
    assert set(subscribers()) == set(readers["subscribed"])
    assert not any(is_subscribed(reader) for reader in demo_readers)
    assert "would send 3, already sent 0, unsubscribed 1" in run("--week", WEEK.label, "--dry-run")

    assert "sent 3, skipped as already sent 0, unsubscribed 1, failed 0." in run("--week", WEEK.label)
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(u.email for u in readers["subscribed"])
    assert not NewsletterDelivery.objects.filter(user__in=demo_readers).exists()


def test_a_reader_marked_demo_after_queueing_is_not_sent(smtp_server, published, readers):
    with transaction.atomic():
        ids = newsletters_start(week=WEEK)
    marked = readers["subscribed"][0]
    Profile.objects.filter(user=marked).update(demo=True)
    result = deliveries_send(delivery_ids=ids)
    assert result.counts[Outcome.CANCELLED] == 1 and result.counts[Outcome.SENT] == 2
    assert not smtp_server.to(marked.email)


def test_the_demo_seminars_speakers_are_not_subscribers(settings, tmp_path, readers):
    settings.RETRIEVER_CLOUDS_DIR = tmp_path
    import_snapshot(SAMPLE_PAPERS)
    series = demo_seminar_seed()
    speakers = {talk.speaker for session in series.sessions.all() for talk in session.talks.all()}
    assert speakers and all(speaker.profile.demo for speaker in speakers)
    assert set(subscribers()) == set(readers["subscribed"])
