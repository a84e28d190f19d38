"""Seats at a session: going while there is room, else the waitlist, promoted in order as seats free up.

Every change locks the session row first, so concurrent RSVPs and cancellations queue one behind the
other and the count of readers going never passes the capacity.
"""

from django.db import transaction
from django.utils import timezone

from apps.seminars.models import RSVP, Notice, Session
from apps.seminars.services.notices import notices_queue

Status = RSVP.Status
SESSION_CANCELLED = "This session is cancelled."
SESSION_OVER = "This session is over."


class RSVPRefused(Exception):
    pass


def _locked(session: Session) -> Session:
    return Session.objects.select_for_update().select_related("series").get(pk=session.pk)


@transaction.atomic
def rsvp_join(*, session: Session, user) -> RSVP:
    """Going if a seat is free, else waitlisted; asking again keeps one's place."""
    session = _locked(session)
    if session.is_cancelled:
        raise RSVPRefused(SESSION_CANCELLED)
    if session.is_past:
        raise RSVPRefused(SESSION_OVER)
    rsvp = RSVP.objects.filter(session=session, user=user).first()
    if rsvp and rsvp.status != Status.CANCELLED:
        return rsvp
    status = Status.GOING if _has_room(session) else Status.WAITLISTED
    rsvp, _ = RSVP.objects.update_or_create(
        session=session, user=user, defaults={"status": status, "requested_at": timezone.now()}
    )
    return rsvp


@transaction.atomic
def rsvp_cancel(*, session: Session, user) -> list[RSVP]:
    """Give up one's seat (or waitlist place); returns the readers promoted into the freed seats."""
    session = _locked(session)
    rsvp = RSVP.objects.filter(session=session, user=user).exclude(status=Status.CANCELLED).first()
    if rsvp is None:
        return []
    rsvp.status = Status.CANCELLED
    rsvp.save(update_fields=["status", "modified_at"])
    return waitlist_promote(session=session)


def waitlist_promote(*, session: Session) -> list[RSVP]:
    """Fill free seats from the head of the waitlist and email those promoted. Call with the session locked."""
    promoted = []
    if session.is_cancelled or session.is_past:
        return promoted
    while _has_room(session):
        head = (
            session.rsvps.filter(status=Status.WAITLISTED).select_related("user").order_by("requested_at", "id").first()
        )
        if head is None:
            break
        head.status = Status.GOING
        head.save(update_fields=["status", "modified_at"])
        promoted.append(head)
        notices_queue(
            kind=Notice.Kind.PROMOTED,
            key=f"promoted:rsvp:{head.pk}:{head.requested_at.timestamp():.6f}",
            session=session,
            users=[head.user],
        )
    return promoted


def _has_room(session: Session) -> bool:
    return session.capacity is None or session.rsvps.filter(status=Status.GOING).count() < session.capacity


def rsvp_state(*, session: Session, user) -> dict:
    """What the RSVP control shows: the reader's status, seats taken, and their place on the waitlist."""
    going = session.rsvps.filter(status=Status.GOING).count()
    waiting = session.rsvps.filter(status=Status.WAITLISTED)
    mine = RSVP.objects.filter(session=session, user=user).first() if user.is_authenticated else None
    place = None
    if mine and mine.status == Status.WAITLISTED:
        place = waiting.filter(requested_at__lt=mine.requested_at).count() + 1
    return {
        "status": mine.status if mine else None,
        "going": going,
        "waiting": waiting.count(),
        "capacity": session.capacity,
        "place": place,
        "full": session.capacity is not None and going >= session.capacity,
    }
