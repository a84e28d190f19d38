"""Sessions live on the series' wall clock and show on the reader's."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from apps.accounts.models import Profile
from apps.seminars.services import term_generate
from tests.factories import UserFactory
from tests.seminars.factories import SeriesFactory, SessionFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def test_a_term_keeps_the_wall_clock_time_across_a_dst_change():
    series = SeriesFactory(time_zone="Europe/Lisbon", weekday=3, start_time=dt.time(18, 0))
    sessions = term_generate(series=series, first_day=dt.date(2026, 10, 12), weeks=4)  # DST ends 25 Oct
    local = [timezone.localtime(session.start, series.zone) for session in sessions]
    assert [(day.date(), day.hour) for day in local] == [
        (dt.date(2026, 10, 15), 18),
        (dt.date(2026, 10, 22), 18),
        (dt.date(2026, 10, 29), 18),
        (dt.date(2026, 11, 5), 18),
    ]
    assert [session.start.astimezone(UTC).hour for session in sessions] == [17, 17, 18, 18]
    assert len(term_generate(series=series, first_day=dt.date(2026, 10, 12), weeks=4)) == 4  # idempotent
    assert series.sessions.count() == 4


@pytest.mark.parametrize(
    "day, lisbon_clock",
    [
        (dt.date(2026, 7, 8), "16:00"),  # summer: Lisbon is UTC+1, Moscow UTC+3
        (dt.date(2026, 12, 9), "15:00"),  # winter: Lisbon is UTC+0, Moscow still UTC+3
    ],
)
def test_a_moscow_session_shows_in_lisbon_time_to_a_lisbon_reader(client, day, lisbon_clock):
    series = SeriesFactory(time_zone="Europe/Moscow")
    start = dt.datetime.combine(day, dt.time(18, 0), tzinfo=zoneinfo.ZoneInfo("Europe/Moscow"))
    session = SessionFactory(series=series, start=start)
    reader = UserFactory()
    Profile.objects.create(user=reader, time_zone="Europe/Lisbon")
    client.force_login(reader)
    html = client.get(f"/seminars/sessions/{session.pk}/").content.decode()
    assert f"{lisbon_clock} Europe/Lisbon</time>" in html
    assert 'title="' in html and "18:00 MSK (Europe/Moscow)" in html  # the series' clock on hover
    assert f'datetime="{start.astimezone(UTC).isoformat()}"' in html
    assert "data-local-time" not in html  # the profile's zone rules: the browser leaves it alone


def test_a_visitor_gets_the_series_clock_named_for_the_browser_to_convert(client):
    series = SeriesFactory(time_zone="America/New_York")
    start = dt.datetime(2026, 7, 8, 13, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    session = SessionFactory(series=series, start=start)
    html = client.get(f"/seminars/sessions/{session.pk}/").content.decode()
    assert (
        f'<time datetime="{start.astimezone(UTC).isoformat()}" title="Wed 8 Jul 2026, 13:00 EDT (America/New_York)" '
        "data-local-time>Wed 8 Jul 2026, 13:00 America/New York</time>"
    ) in html
    assert "js/local_time.js" in html


def test_an_organizer_moves_a_session_on_the_series_clock_whatever_their_own_zone(client):
    series = SeriesFactory(time_zone="Europe/Moscow")
    session = SessionFactory(series=series, start=dt.datetime(2026, 12, 9, 15, 0, tzinfo=UTC))
    organizer = UserFactory()
    series.organizers.add(organizer)
    Profile.objects.create(user=organizer, time_zone="America/Los_Angeles")
    client.force_login(organizer)
    form_html = client.get(f"/seminars/sessions/{session.pk}/edit/").content.decode()
    assert 'value="2026-12-09T18:00"' in form_html
    response = client.post(
        f"/seminars/sessions/{session.pk}/edit/",
        {"start": "2026-12-09T19:30", "minutes": 90, "place": "Room 5", "capacity": ""},
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.start == dt.datetime(2026, 12, 9, 16, 30, tzinfo=UTC)
    assert session.duration == dt.timedelta(minutes=90) and session.sequence == 1


def test_moving_a_session_onto_another_ones_start_is_a_form_error(client):
    series = SeriesFactory(time_zone="Europe/Moscow")
    first = SessionFactory(series=series, start=dt.datetime(2026, 12, 9, 15, 0, tzinfo=UTC))
    second = SessionFactory(series=series, start=dt.datetime(2026, 12, 16, 15, 0, tzinfo=UTC))
    organizer = UserFactory()
    series.organizers.add(organizer)
    client.force_login(organizer)
    response = client.post(f"/seminars/sessions/{second.pk}/edit/", {"start": "2026-12-09T18:00", "minutes": 60})
    assert response.status_code == 400 and "Another session of this series starts then" in response.content.decode()
    second.refresh_from_db()
    assert second.start == dt.datetime(2026, 12, 16, 15, 0, tzinfo=UTC) and first.start != second.start
