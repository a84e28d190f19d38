"""Emails the seminar owes readers: a Notice row first, then a task that sends it once.

Queueing writes the rows (a reader gets each key once, whatever retries or races) and enqueues their
sending when the transaction commits. Sending locks the row, so a task delivered twice (acks_late) or
retried after a crash sends nothing more than once.
"""

import datetime as dt
import logging
import smtplib
import zoneinfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from apps.accounts.models import Profile
from apps.seminars.models import RSVP, Notice, Session, Talk

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
REMINDER_AHEAD = dt.timedelta(hours=24)
SEND_ERRORS = (smtplib.SMTPException, OSError)
SUBJECTS = {
    Notice.Kind.REMINDER: "Tomorrow at the seminar: {title}",
    Notice.Kind.ANNOUNCEMENT: "New talk at {series}: {title}",
    Notice.Kind.PROMOTED: "You have a seat: {title}",
    Notice.Kind.MATERIALS: "Slides or video added: {title}",
    Notice.Kind.DECISION: "Your proposal: {title}",
    Notice.Kind.CHANGE: "Changed: {series}, {title}",
}
# Kinds that are only worth sending while the session still takes place.
ONLY_IF_HELD = {Notice.Kind.REMINDER, Notice.Kind.ANNOUNCEMENT, Notice.Kind.MATERIALS, Notice.Kind.PROMOTED}


def notices_queue(*, kind: str, key: str, session: Session, users, talk: Talk | None = None) -> int:
    """One notice per reader for `key` (again: nothing); returns how many are new."""
    users = {user.pk: user for user in users if user.email}
    for demo in Profile.objects.filter(user__in=users, demo=True).values_list("user_id", flat=True):
        del users[demo]  # the demo's simulated speakers are nobody's inbox
    if not users:
        return 0
    already = set(Notice.objects.filter(key=key, user__in=users).values_list("user_id", flat=True))
    created = Notice.objects.bulk_create(
        [Notice(user_id=pk, kind=kind, key=key, session=session, talk=talk) for pk in users if pk not in already],
        ignore_conflicts=True,  # a concurrent queuer won the row: it sends it
    )
    ids = list(
        Notice.objects.filter(key=key, user__in=[n.user_id for n in created], status=Notice.Status.PENDING).values_list(
            "id", flat=True
        )
    )
    if ids:
        from tasks.seminars import send_notice_task

        transaction.on_commit(lambda: [send_notice_task.delay(pk) for pk in ids])
    return len(ids)


def notice_send(notice_id: int) -> str:
    """Send one notice unless it went already; returns its status. A failure to send is raised to retry."""
    failure = None
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(of=("self",))
            .select_related("user", "session__series", "talk__paper")
            .filter(pk=notice_id)
            .first()
        )
        if notice is None or notice.status != Notice.Status.PENDING:
            return notice.status if notice else "missing"
        reason = _no_longer_true(notice)
        if reason:
            notice.status, notice.error = Notice.Status.SKIPPED, reason
            notice.save(update_fields=["status", "error"])
            return notice.status
        subject, body = render_notice(notice)
        try:
            send_mail(subject, body, None, [notice.user.email])
        except SEND_ERRORS as error:
            notice.attempts += 1
            notice.error = f"{type(error).__name__}: {error}"
            if notice.attempts >= MAX_ATTEMPTS:
                notice.status = Notice.Status.FAILED
            notice.save(update_fields=["attempts", "error", "status"])
            failure = error
        else:
            notice.status, notice.sent_at, notice.error = Notice.Status.SENT, timezone.now(), ""
            notice.attempts += 1
            notice.save(update_fields=["status", "sent_at", "error", "attempts"])
    if failure is not None and notice.status == Notice.Status.PENDING:
        raise failure
    return notice.status


def _no_longer_true(notice: Notice) -> str:
    session = notice.session
    if notice.kind in ONLY_IF_HELD and session.is_cancelled:
        return "the session was cancelled"
    if notice.kind == Notice.Kind.REMINDER and session.start <= timezone.now():
        return "the session has started"
    if notice.kind in (Notice.Kind.ANNOUNCEMENT, Notice.Kind.MATERIALS) and notice.talk.status != Talk.Status.CONFIRMED:
        return "the talk is no longer confirmed"
    return ""


def render_notice(notice: Notice) -> tuple[str, str]:
    session, talk = notice.session, notice.talk or _talk_of(notice.session)
    zone_name = Profile.objects.filter(user=notice.user).values_list("time_zone", flat=True).first() or "UTC"
    context = {
        "notice": notice,
        "session": session,
        "series": session.series,
        "talk": talk,
        # Formatted here: the template's date filter would convert to the worker's zone.
        "reader_when": date_format(timezone.localtime(session.start, zoneinfo.ZoneInfo(zone_name)), "l j F Y, H:i T"),
        "series_when": date_format(timezone.localtime(session.start, session.series.zone), "H:i T"),
        "same_zone": zone_name == session.series.time_zone,
        "url": settings.SITE_URL.rstrip("/") + reverse("seminars:session", args=[session.pk]),
    }
    title = talk.title if talk else "open session"
    subject = SUBJECTS[notice.kind].format(title=title, series=session.series.name)
    return subject[:200], render_to_string("seminars/email/notice.txt", context)


def _talk_of(session: Session) -> Talk | None:
    return session.talks.filter(status__in=Talk.HOLDING).select_related("paper").first()


def reminders_queue(*, now: dt.datetime | None = None) -> int:
    """Queue a reminder for every session in the next 24 hours, to its speaker and attendees (once each)."""
    now = now or timezone.now()
    queued = 0
    sessions = Session.objects.filter(status=Session.Status.SCHEDULED, start__gt=now, start__lte=now + REMINDER_AHEAD)
    for session in sessions.select_related("series"):
        talk = session.talks.filter(status=Talk.Status.CONFIRMED).select_related("speaker").first()
        attendees = [rsvp.user for rsvp in session.rsvps.filter(status=RSVP.Status.GOING).select_related("user")]
        recipients = attendees + ([talk.speaker] if talk else [])
        with transaction.atomic():
            queued += notices_queue(
                kind=Notice.Kind.REMINDER,
                key=f"reminder:session:{session.pk}",
                session=session,
                talk=talk,
                users=recipients,
            )
    return queued
