import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.middleware import ReaderTimeZoneMiddleware
from apps.accounts.services import profile_update
from apps.accounts.time_zones import TIME_ZONE_SESSION_KEY
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


def profile_queries(client, page: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        html = client.get(page).content.decode()
    return html, len([q for q in queries.captured_queries if "accounts_profile" in q["sql"]])


def test_a_zone_changed_in_the_admin_shows_on_the_readers_next_page_read_once(client, admin_client):
    session = SessionFactory(start=dt.datetime(2026, 7, 8, 12, 0, tzinfo=dt.UTC))
    reader = UserFactory()
    profile = profile_update(user=reader, time_zone="Europe/Lisbon", email_frequency="weekly")
    client.force_login(reader)
    page = f"/seminars/sessions/{session.pk}/"
    assert "13:00 Europe/Lisbon</time>" in client.get(page).content.decode()

    response = admin_client.post(
        f"/admin/accounts/profile/{profile.pk}/change/",
        {"time_zone": "Asia/Tokyo", "email_frequency": "weekly", "feed_generation": "0"},
    )
    assert response.status_code == 302
    html, reads = profile_queries(client, page)
    assert "21:00 Asia/Tokyo</time>" in html and reads == 1
    html, reads = profile_queries(client, page)
    assert "21:00 Asia/Tokyo</time>" in html and reads == 0  # kept again


def test_a_zone_changed_on_another_device_shows_on_this_one(client):
    session = SessionFactory(start=dt.datetime(2026, 7, 8, 12, 0, tzinfo=dt.UTC))
    reader = UserFactory()
    profile_update(user=reader, time_zone="Europe/Lisbon", email_frequency="weekly")
    phone = Client()
    client.force_login(reader)
    phone.force_login(reader)
    page = f"/seminars/sessions/{session.pk}/"
    assert "13:00 Europe/Lisbon</time>" in client.get(page).content.decode()
    assert "13:00 Europe/Lisbon</time>" in phone.get(page).content.decode()

    response = phone.post("/accounts/settings/", {"time_zone": "America/New_York", "email_frequency": "weekly"})
    assert response.status_code == 302
    assert "08:00 America/New York</time>" in client.get(page).content.decode()


def test_other_profile_writes_keep_the_kept_zone(client):
    session = SessionFactory(start=dt.datetime(2026, 7, 8, 12, 0, tzinfo=dt.UTC))
    reader = UserFactory()
    profile = profile_update(user=reader, time_zone="Asia/Tokyo", email_frequency="weekly")
    client.force_login(reader)
    page = f"/seminars/sessions/{session.pk}/"
    client.get(page)
    profile.email_frequency = "off"
    profile.save(update_fields=["email_frequency"])
    html, reads = profile_queries(client, page)
    assert "21:00 Asia/Tokyo</time>" in html and reads == 0


def test_a_session_kept_before_generations_reads_the_zone_again():
    reader = UserFactory()
    profile_update(user=reader, time_zone="Asia/Tokyo", email_frequency="weekly")
    session = SessionStore()
    session[TIME_ZONE_SESSION_KEY] = "Europe/Lisbon"  # how sessions kept it before
    assert zone_seen(reader, session) == "Asia/Tokyo"
    assert session[TIME_ZONE_SESSION_KEY][0] == "Asia/Tokyo"


def test_while_the_cache_is_down_pages_and_settings_still_work_in_the_readers_zone(client, settings, tmp_path):
    session = SessionFactory(start=dt.datetime(2026, 7, 8, 12, 0, tzinfo=dt.UTC))
    reader = UserFactory()
    profile_update(user=reader, time_zone="Asia/Tokyo", email_frequency="weekly")
    client.force_login(reader)
    page = f"/seminars/sessions/{session.pk}/"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"unix://{tmp_path}/nothing-here.sock",
        }
    }
    assert "21:00 Asia/Tokyo</time>" in client.get(page).content.decode()
    response = client.post("/accounts/settings/", {"time_zone": "Europe/Lisbon", "email_frequency": "weekly"})
    assert response.status_code == 302
    assert "13:00 Europe/Lisbon</time>" in client.get(page).content.decode()
