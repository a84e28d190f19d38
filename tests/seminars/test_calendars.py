"""The iCalendar feeds, parsed back with icalendar: stable UIDs, SEQUENCE bumps, cancellations kept."""

import datetime as dt

import icalendar
import pytest
from django.core import signing

from apps.seminars.services import rsvp_join, session_cancel, session_update, talk_claim
from apps.seminars.views.calendars import CALENDAR_SALT
from tests.factories import PaperFactory, UserFactory
from tests.seminars.factories import SeriesFactory, SessionFactory

pytestmark = pytest.mark.django_db


def events(response) -> dict:
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_series_feed_follows_changes_under_stable_uids(client):
    series = SeriesFactory(slug="recsys", time_zone="Europe/Moscow")
    session, other = SessionFactory(series=series), SessionFactory(series=series)
    url = "/seminars/recsys/calendar.ics"
    before = events(client.get(url))
    uid = f"session-{session.pk}@retriever.seminars"
    assert set(before) == {uid, f"session-{other.pk}@retriever.seminars"}
    assert before[uid]["SEQUENCE"] == 0 and before[uid]["STATUS"] == "TENTATIVE"
    assert before[uid].decoded("DTSTART") == session.start
    assert str(before[uid]["DTSTART"].params["TZID"]) == "Europe/Moscow"

    paper = PaperFactory(title="Corrected logQ for two-tower retrievers")
    talk_claim(session=session, speaker=UserFactory(first_name="Ada", last_name="Lovelace"), paper=paper)
    claimed = events(client.get(url))[uid]
    assert claimed["SEQUENCE"] == 1 and claimed["STATUS"] == "CONFIRMED"
    assert "Corrected logQ for two-tower retrievers (Ada Lovelace)" in str(claimed["SUMMARY"])

    later = session.start + dt.timedelta(hours=1)
    session.refresh_from_db()
    session_update(session=session, start=later, duration=session.duration, place="Room 7", capacity=None)
    moved = events(client.get(url))[uid]
    assert moved["SEQUENCE"] == 2 and moved.decoded("DTSTART") == later and str(moved["LOCATION"]) == "Room 7"

    session_cancel(session=session)
    cancelled = events(client.get(url))
    assert cancelled[uid]["STATUS"] == "CANCELLED" and cancelled[uid]["SEQUENCE"] == 3
    assert set(cancelled) == set(before)  # the cancelled session stays, for calendars to strike it


def test_the_private_feed_holds_the_readers_talks_and_seats_and_needs_a_valid_token(client):
    reader = UserFactory()
    speaking, attending, neither = SessionFactory.create_batch(3)
    talk_claim(session=speaking, speaker=reader, paper=PaperFactory())
    rsvp_join(session=attending, user=reader)
    token = signing.dumps(reader.pk, salt=CALENDAR_SALT)
    uids = set(events(client.get(f"/seminars/calendar/{token}.ics")))
    assert uids == {f"session-{speaking.pk}@retriever.seminars", f"session-{attending.pk}@retriever.seminars"}
    assert client.get(f"/seminars/calendar/{token}x.ics").status_code == 404
    forged = signing.dumps(reader.pk, salt="digests.feed")
    assert client.get(f"/seminars/calendar/{forged}.ics").status_code == 404
