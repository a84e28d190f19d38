"""Reminders and other emails: a row first, sent once whatever retries, redeliveries or repeats."""

import datetime as dt
import smtplib
import time
import zoneinfo

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.models import Profile
from apps.seminars.models import Notice
from apps.seminars.services import notice_send, reminders_queue, rsvp_join, session_cancel, talk_claim
from tests.factories import PaperFactory, UserFactory
from tests.seminars.factories import SeriesFactory, SessionFactory

pytestmark = pytest.mark.django_db


def tomorrows_session(capacity=2):
    series = SeriesFactory(time_zone="Europe/Moscow")
    session = SessionFactory(series=series, start=timezone.now() + dt.timedelta(hours=20), capacity=capacity)
    speaker = UserFactory()
    talk_claim(session=session, speaker=speaker, paper=PaperFactory(title="Two-tower retrieval, corrected"))
    attendees = UserFactory.create_batch(3)
    for reader in attendees:
        rsvp_join(session=session, user=reader)
    return session, speaker, attendees


def test_reminders_go_once_to_the_speaker_and_the_readers_going():
    session, speaker, (first, second, waitlisted) = tomorrows_session()
    SessionFactory(start=timezone.now() + dt.timedelta(hours=30))  # not tomorrow yet: no reminder
    assert reminders_queue() == 3
    assert reminders_queue() == 0  # the beat runs every 15 minutes: nothing new
    for notice in Notice.objects.filter(kind="reminder"):
        assert notice_send(notice.pk) == "sent"
        assert notice_send(notice.pk) == "sent"  # a redelivered task sends nothing more
    assert sorted(message.to[0] for message in mail.outbox) == sorted([speaker.email, first.email, second.email])
    assert all("Two-tower retrieval, corrected" in message.subject for message in mail.outbox)


def test_the_demos_simulated_accounts_get_no_notice():
    session, speaker, (first, second, _) = tomorrows_session()
    Profile.objects.update_or_create(user=speaker, defaults={"demo": True})
    Profile.objects.update_or_create(user=first, defaults={"demo": True})
    assert reminders_queue() == 1
    assert list(Notice.objects.values_list("user_id", flat=True)) == [second.pk]


def test_the_email_shows_the_readers_time_and_the_series_time():
    session, _, (reader, *_) = tomorrows_session()
    Profile.objects.create(user=reader, time_zone="Europe/Lisbon")
    reminders_queue()
    notice_send(Notice.objects.get(user=reader, kind="reminder").pk)
    body = mail.outbox[0].body
    lisbon = timezone.localtime(session.start, zoneinfo.ZoneInfo("Europe/Lisbon"))
    assert f"{lisbon:%H:%M} {lisbon.tzname()}" in body and "in Europe/Moscow" in body
    assert f"/seminars/sessions/{session.pk}/" in body


def test_a_failed_send_stays_pending_for_the_retry_and_records_why(smtp_server):
    tomorrows_session()
    reminders_queue()
    notice = Notice.objects.filter(kind="reminder").first()
    smtp_server.refuse_next(1, "421 4.3.2 Service busy, try again later")
    with pytest.raises(smtplib.SMTPException):
        notice_send(notice.pk)
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == ("pending", 1) and "Service busy" in notice.error
    assert notice_send(notice.pk) == "sent" and len(smtp_server.messages) == 1  # the retry
    assert notice_send(notice.pk) == "sent" and len(smtp_server.messages) == 1


def test_a_reminder_for_a_session_cancelled_meanwhile_is_skipped_not_sent():
    session, *_ = tomorrows_session()
    reminders_queue()
    session_cancel(session=session)
    reminder = Notice.objects.filter(kind="reminder").first()
    assert notice_send(reminder.pk) == "skipped"
    change = Notice.objects.filter(kind="change").first()
    assert notice_send(change.pk) == "sent" and "cancelled" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_through_a_real_worker_sends_each_reminder_once_over_smtp(celery_worker, smtp_server):
    from tasks.seminars import send_reminders_task

    _, speaker, (first, second, _) = tomorrows_session()
    send_reminders_task.delay().get(timeout=30)
    send_reminders_task.delay().get(timeout=30)
    deadline = time.monotonic() + 30
    while Notice.objects.filter(status="pending", kind="reminder").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert Notice.objects.filter(kind="reminder", status="sent").count() == 3
    reminders = [message for message in smtp_server.messages if message["Subject"].startswith("Tomorrow")]
    assert sorted(message["To"] for message in reminders) == sorted([speaker.email, first.email, second.email])
