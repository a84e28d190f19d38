"""iCalendar feeds: a public one per series, a private one per reader (their talks and RSVPs).

Each session is one VEVENT whose UID never changes; SEQUENCE is the session's own counter, bumped by
every change a calendar shows, and a cancelled session stays in the feed as STATUS:CANCELLED so
subscribed calendars strike it rather than silently keep it.
"""

from collections.abc import Iterable

import icalendar
from django.conf import settings
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from apps.seminars.models import RSVP, SeminarSeries, Session, Talk

PRODID = "-//Retriever//Reading seminar//EN"
UID_DOMAIN = "retriever.seminars"


def session_uid(session: Session) -> str:
    return f"session-{session.pk}@{UID_DOMAIN}"


def series_calendar(series: SeminarSeries) -> bytes:
    sessions = series.sessions.all()
    return _calendar(name=series.name, sessions=_with_talks(sessions), description=series.description)


def reader_calendar(user) -> bytes:
    """The sessions a reader speaks at or has a seat (or a waitlist place) for."""
    sessions = Session.objects.filter(
        Q(talks__speaker=user, talks__status__in=Talk.HOLDING)
        | Q(rsvps__user=user, rsvps__status__in=[RSVP.Status.GOING, RSVP.Status.WAITLISTED])
    ).distinct()
    return _calendar(name="My seminar talks", sessions=_with_talks(sessions))


def _with_talks(sessions) -> Iterable[Session]:
    holding = Talk.objects.filter(status__in=Talk.HOLDING).select_related("speaker", "paper")
    return sessions.select_related("series").prefetch_related(Prefetch("talks", holding, to_attr="holding"))


def _calendar(*, name: str, sessions: Iterable[Session], description: str = "") -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    if description:
        calendar.add("x-wr-caldesc", description)
    now = timezone.now()
    for session in sessions:
        calendar.add_component(_event(session, stamp=now))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _event(session: Session, *, stamp) -> icalendar.Event:
    series, talk = session.series, (session.holding[0] if session.holding else None)
    event = icalendar.Event()
    event.add("uid", session_uid(session))
    event.add("sequence", session.sequence)
    event.add("dtstamp", stamp)
    event.add("last-modified", session.modified_at)
    # On the series' wall clock, with its VTIMEZONE: calendars then move it correctly across DST.
    event.add("dtstart", timezone.localtime(session.start, series.zone))
    event.add("dtend", timezone.localtime(session.end, series.zone))
    if talk:
        event.add("summary", f"{series.name}: {talk.title} ({talk.speaker_name})")
    else:
        event.add("summary", f"{series.name}: open session")
    url = settings.SITE_URL.rstrip("/") + reverse("seminars:session", args=[session.pk])
    event.add("url", url)
    lines = [f"Paper: {talk.paper.title} — {talk.paper.abs_url}" if talk else "No speaker yet: claim it!", url]
    if series.video_link:
        lines.append(f"Video: {series.video_link}")
    event.add("description", "\n".join(lines))
    if session.place:
        event.add("location", session.place)
    if session.is_cancelled:
        event.add("status", "CANCELLED")
    elif talk and talk.status == Talk.Status.CONFIRMED:
        event.add("status", "CONFIRMED")
    else:
        event.add("status", "TENTATIVE")
    return event
