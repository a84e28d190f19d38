"""Seats and the waitlist: capacity holds, cancellations promote in order, also when they race."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from apps.seminars.models import RSVP, Notice
from apps.seminars.services import RSVPRefused, rsvp_cancel, rsvp_join, session_update
from tests.factories import UserFactory
from tests.seminars.factories import SessionFactory

pytestmark = pytest.mark.django_db


def statuses(session) -> dict:
    return dict(RSVP.objects.filter(session=session).values_list("user__email", "status"))


def test_seats_fill_then_the_waitlist_and_asking_again_keeps_ones_place():
    session = SessionFactory(capacity=2)
    first, second, third = UserFactory.create_batch(3)
    assert rsvp_join(session=session, user=first).status == "going"
    assert rsvp_join(session=session, user=second).status == "going"
    waiting = rsvp_join(session=session, user=third)
    assert waiting.status == "waitlisted"
    assert rsvp_join(session=session, user=third).requested_at == waiting.requested_at


def test_a_cancellation_promotes_the_first_waitlisted_reader_and_emails_them():
    session = SessionFactory(capacity=1)
    going, head, tail = UserFactory.create_batch(3)
    for reader in (going, head, tail):
        rsvp_join(session=session, user=reader)
    promoted = rsvp_cancel(session=session, user=going)
    assert [rsvp.user for rsvp in promoted] == [head]
    assert statuses(session) == {going.email: "cancelled", head.email: "going", tail.email: "waitlisted"}
    assert Notice.objects.get(kind="promoted").user == head
    assert rsvp_cancel(session=session, user=tail) == []  # leaving the waitlist frees no seat


def test_a_larger_room_seats_the_waitlist():
    session = SessionFactory(capacity=1)
    readers = UserFactory.create_batch(3)
    for reader in readers:
        rsvp_join(session=session, user=reader)
    session_update(session=session, start=session.start, duration=session.duration, place="", capacity=3)
    assert set(statuses(session).values()) == {"going"}
    assert Notice.objects.filter(kind="promoted").count() == 2


def test_no_rsvp_to_a_cancelled_or_past_session():
    for session in (SessionFactory(status="cancelled"), SessionFactory(start=timezone.now() - dt.timedelta(days=1))):
        with pytest.raises(RSVPRefused):
            rsvp_join(session=session, user=UserFactory())


@pytest.mark.django_db(transaction=True)
def test_concurrent_cancellations_promote_each_waitlisted_reader_once_and_never_overfill():
    session = SessionFactory(capacity=3)
    going = UserFactory.create_batch(3)
    waitlist = UserFactory.create_batch(4)
    for reader in going + waitlist:
        rsvp_join(session=session, user=reader)
    barrier, promoted = threading.Barrier(3), []

    def cancel(reader):
        try:
            barrier.wait(5)
            promoted.extend(rsvp.user_id for rsvp in rsvp_cancel(session=session, user=reader))
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel, args=(reader,)) for reader in going]
    [thread.start() for thread in threads]
    [thread.join(15) for thread in threads]
    assert sorted(promoted) == sorted(reader.pk for reader in waitlist[:3])  # the first three, once each
    assert RSVP.objects.filter(session=session, status="going").count() == 3
    assert RSVP.objects.get(session=session, user=waitlist[3]).status == "waitlisted"
    assert Notice.objects.filter(kind="promoted").count() == 3
