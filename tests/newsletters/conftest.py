import datetime as dt
import time

import pytest

from apps.accounts.models import EmailFrequency, Profile
from apps.digests.models import Pin
from apps.digests.services import digest_get_or_create, digest_publish
from apps.papers.weeks import Week
from tests.factories import PaperFactory, UserFactory

WEEK = Week.from_label("2026-W48")  # Monday 23 November 2026


def make_week_papers() -> list:
    """Eight papers announced in WEEK, the third pinned as the editors' pick, with a note."""
    papers = [PaperFactory(announced=WEEK.monday + dt.timedelta(days=i % 5)) for i in range(8)]
    Pin.objects.create(week=WEEK.monday, paper=papers[2], note="A careful ablation of *logQ* correction.")
    return papers


@pytest.fixture
def week_papers(db):
    return make_week_papers()


def publish(week=WEEK):
    return digest_publish(digest=digest_get_or_create(week=week), by=None)


@pytest.fixture
def published(week_papers):
    """WEEK published: its pick frozen (with the digest's signal sent at once when the test commits for real)."""
    return publish()


@pytest.fixture
def readers(db):
    """Three subscribed readers (one in Tokyo, one with no profile yet) and one who switched the email off."""
    tokyo, plain, no_profile, off = UserFactory.create_batch(4)
    Profile.objects.create(user=tokyo, time_zone="Asia/Tokyo")
    Profile.objects.create(user=plain)
    Profile.objects.create(user=off, email_frequency=EmailFrequency.OFF)
    return {"subscribed": [tokyo, plain, no_profile], "off": off}


@pytest.fixture
def newsletter_settings(settings):
    settings.SITE_URL = "http://testserver"
    settings.NEWSLETTER_RATE_LIMIT = 0
    settings.NEWSLETTER_RETRY_BACKOFF_SECONDS = 0.2
    return settings


def wait_for(condition, timeout: float = 60) -> bool:
    """Poll until `condition()` holds: workers run on their own schedule."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()
