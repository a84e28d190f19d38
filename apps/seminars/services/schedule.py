"""Organizers' side of the schedule: a term of weekly sessions, and edits or cancellations of single ones."""

import datetime as dt

from django.db import transaction

from apps.seminars.models import RSVP, Notice, SeminarSeries, Session, Talk
from apps.seminars.services.notices import notices_queue
from apps.seminars.services.rsvp import waitlist_promote
from apps.seminars.services.talks import session_changed

MAX_TERM_WEEKS = 52


def local_start(series: SeminarSeries, day: dt.date, at: dt.time | None = None) -> dt.datetime:
    """`day` at the series' usual time on its own wall clock: 18:00 stays 18:00 across a DST change."""
    return dt.datetime.combine(day, at or series.start_time, tzinfo=series.zone)


@transaction.atomic
def term_generate(
    *, series: SeminarSeries, first_day: dt.date, weeks: int, capacity: int | None = None
) -> list[Session]:
    """Weekly sessions on the series' usual weekday from `first_day`; days that already have one are kept."""
    if not 1 <= weeks <= MAX_TERM_WEEKS:
        raise ValueError(f"A term is 1 to {MAX_TERM_WEEKS} weeks.")
    day = first_day + dt.timedelta(days=(series.weekday - first_day.weekday()) % 7)
    sessions = [
        Session(
            series=series,
            start=local_start(series, day + dt.timedelta(weeks=week)),
            duration=series.duration,
            place=series.place,
            capacity=capacity,
        )
        for week in range(weeks)
    ]
    Session.objects.bulk_create(sessions, ignore_conflicts=True)
    return list(series.sessions.filter(start__in=[session.start for session in sessions]))


@transaction.atomic
def session_update(
    *, session: Session, start: dt.datetime, duration: dt.timedelta, place: str, capacity: int | None
) -> Session:
    """Move or resize one session; the speaker and attendees hear when it moves."""
    session = Session.objects.select_for_update().select_related("series").get(pk=session.pk)
    moved = start != session.start or place != session.place or duration != session.duration
    session.start, session.duration, session.place, session.capacity = start, duration, place, capacity
    session.save()
    if moved:
        session_changed(session)
        session.refresh_from_db(fields=["sequence"])
        _tell_everyone(session, key=f"change:session:{session.pk}:{session.sequence}")
    waitlist_promote(session=session)  # a larger room seats the waitlist
    return session


@transaction.atomic
def session_cancel(*, session: Session) -> Session:
    session = Session.objects.select_for_update().select_related("series").get(pk=session.pk)
    if session.is_cancelled:
        return session
    session.status = Session.Status.CANCELLED
    session.save(update_fields=["status", "modified_at"])
    session_changed(session)
    session.refresh_from_db(fields=["sequence"])
    _tell_everyone(session, key=f"change:session:{session.pk}:{session.sequence}")
    return session


def _tell_everyone(session: Session, *, key: str) -> None:
    talk = session.talks.filter(status__in=Talk.HOLDING).select_related("speaker").first()
    users = [rsvp.user for rsvp in session.rsvps.exclude(status=RSVP.Status.CANCELLED).select_related("user")]
    notices_queue(
        kind=Notice.Kind.CHANGE, key=key, session=session, talk=talk, users=users + ([talk.speaker] if talk else [])
    )
