import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.middleware import ReaderTimeZoneMiddleware
from apps.accounts.services import profile_update
from tests.factories import UserFactory
from tests.seminars.factories import SessionFactory

pytestmark = pytest.mark.django_db


def zone_seen(user, session=None) -> str:
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore() if session is None else session
    return ReaderTimeZoneMiddleware(lambda r: HttpResponse(timezone.get_current_timezone_name()))(
        request
    ).content.decode()


def test_a_readers_time_zone_is_active_for_their_requests():
    reader = UserFactory()
    profile_update(user=reader, time_zone="America/New_York", email_frequency="weekly")
    assert zone_seen(reader) == "America/New_York"


def test_readers_without_a_profile_and_visitors_get_utc():
    assert zone_seen(UserFactory()) == "UTC"
    assert zone_seen(AnonymousUser()) == "UTC"


def test_the_zone_is_read_once_per_session_not_on_every_page(django_assert_num_queries):
    reader = UserFactory()
    profile_update(user=reader, time_zone="Asia/Tokyo", email_frequency="weekly")
    session = SessionStore()
    with django_assert_num_queries(1):
        assert zone_seen(reader, session) == "Asia/Tokyo"
    with django_assert_num_queries(0):
        assert zone_seen(reader, session) == "Asia/Tokyo"
        assert zone_seen(reader, session) == "Asia/Tokyo"


def test_signing_in_brings_the_zone_so_no_page_asks_for_it(client):
    session = SessionFactory(start=dt.datetime(2026, 7, 8, 12, 0, tzinfo=dt.UTC))
    reader = UserFactory()
    profile_update(user=reader, time_zone="Asia/Tokyo", email_frequency="weekly")
    client.force_login(reader)
    with CaptureQueriesContext(connection) as page_queries:
        assert "21:00 Asia/Tokyo</time>" in client.get(f"/seminars/sessions/{session.pk}/").content.decode()
    assert not [q for q in page_queries.captured_queries if "accounts_profile" in q["sql"]]
    assert not [q for q in page_queries.captured_queries if q["sql"].startswith("UPDATE")]  # no session write


def test_a_zone_changed_in_settings_shows_on_the_next_page(client):
    session = SessionFactory(start=dt.datetime(2026, 7, 8, 12, 0, tzinfo=dt.UTC))
    reader = UserFactory()
    profile_update(user=reader, time_zone="Europe/Lisbon", email_frequency="weekly")
    client.force_login(reader)
    page = f"/seminars/sessions/{session.pk}/"
    assert "13:00 Europe/Lisbon</time>" in client.get(page).content.decode()  # kept in the session now
    response = client.post("/accounts/settings/", {"time_zone": "Asia/Tokyo", "email_frequency": "weekly"})
    assert response.status_code == 302
    assert "21:00 Asia/Tokyo</time>" in client.get(page).content.decode()
