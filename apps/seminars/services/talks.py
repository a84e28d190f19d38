"""Speakers and their talks: claiming a session, approval, editing, cancelling."""

from django.db import IntegrityError, transaction
from django.db.models import F

from apps.papers.models import Paper
from apps.recommendations.models import Interaction
from apps.recommendations.services.interactions import interaction_record
from apps.seminars.models import RSVP, Notice, Session, Talk
from apps.seminars.services.notices import notices_queue

SLOT_TAKEN = "Someone else has just claimed this session. Please pick another free one."
SESSION_CANCELLED = "This session is cancelled; pick another one."
SESSION_OVER = "This session is over; pick an upcoming one."
NOT_YOURS = "Only the speaker or the series' organizers can change this talk."
NOT_PROPOSED = "This talk is not waiting for a decision."


class TalkRefused(Exception):
    pass


@transaction.atomic
def talk_claim(
    *,
    session: Session,
    speaker,
    paper: Paper,
    title: str = "",
    abstract: str = "",
    source: str = Interaction.Source.SEMINAR,
) -> Talk:
    """Claim a free session to present `paper`: confirmed at once, or proposed where the series asks for approval.

    The database's one-talk-per-session constraint decides between two readers claiming at once.
    """
    if session.is_cancelled:
        raise TalkRefused(SESSION_CANCELLED)
    if session.is_past:
        raise TalkRefused(SESSION_OVER)
    needs_approval = session.series.talks_need_approval
    try:
        with transaction.atomic():
            talk = Talk.objects.create(
                session=session,
                speaker=speaker,
                paper=paper,
                title=(title or paper.title)[:500],
                abstract=abstract or paper.abstract,
                status=Talk.Status.PROPOSED if needs_approval else Talk.Status.CONFIRMED,
            )
    except IntegrityError:
        raise TalkRefused(SLOT_TAKEN) from None
    if talk.status == Talk.Status.CONFIRMED:
        _confirmed(talk, source=source)
    return talk


@transaction.atomic
def talk_decide(*, talk: Talk, confirm: bool, message: str = "") -> Talk:
    """An organizer confirms or declines a proposal; the speaker hears either way, with the message."""
    talk = Talk.objects.select_for_update().select_related("session__series", "speaker", "paper").get(pk=talk.pk)
    if talk.status != Talk.Status.PROPOSED:
        raise TalkRefused(NOT_PROPOSED)
    talk.status = Talk.Status.CONFIRMED if confirm else Talk.Status.CANCELLED
    talk.decision_message = message
    talk.save(update_fields=["status", "decision_message", "modified_at"])
    notices_queue(
        kind=Notice.Kind.DECISION, key=f"decision:talk:{talk.pk}", session=talk.session, talk=talk, users=[talk.speaker]
    )
    if confirm:
        _confirmed(talk, source=Interaction.Source.SEMINAR)
    return talk


def _confirmed(talk: Talk, *, source: str) -> None:
    interaction_record(user=talk.speaker, paper=talk.paper, kind=Interaction.Kind.PRESENT, source=source)
    session_changed(talk.session)
    followers = talk.session.series.followers.exclude(pk=talk.speaker_id)
    notices_queue(
        kind=Notice.Kind.ANNOUNCEMENT, key=f"announce:talk:{talk.pk}", session=talk.session, talk=talk, users=followers
    )


MATERIALS = ("slides_url", "video_url")


@transaction.atomic
def talk_update(*, talk: Talk, by, title: str, abstract: str, slides_url: str, video_url: str) -> Talk:
    """The speaker (or an organizer) edits the talk; attendees hear when slides or video first appear."""
    talk = Talk.objects.select_for_update().select_related("session__series").get(pk=talk.pk)
    if not can_edit_talk(talk, by):
        raise TalkRefused(NOT_YOURS)
    added = [name for name, value in zip(MATERIALS, (slides_url, video_url)) if value and value != getattr(talk, name)]
    retitled = title != talk.title
    talk.title, talk.abstract, talk.slides_url, talk.video_url = title, abstract, slides_url, video_url
    talk.save()
    if retitled:
        session_changed(talk.session)
    if added and talk.status == Talk.Status.CONFIRMED:
        going = [rsvp.user for rsvp in talk.session.rsvps.filter(status=RSVP.Status.GOING).select_related("user")]
        what = "+".join(sorted(name.removesuffix("_url") for name in added))
        notices_queue(
            kind=Notice.Kind.MATERIALS,
            key=f"materials:talk:{talk.pk}:{what}:{talk.modified_at.timestamp():.0f}",
            session=talk.session,
            talk=talk,
            users=going,
        )
    return talk


@transaction.atomic
def talk_cancel(*, talk: Talk, by) -> Talk:
    """Withdraw a talk; the session is free to claim again."""
    talk = Talk.objects.select_for_update().select_related("session__series").get(pk=talk.pk)
    if not can_edit_talk(talk, by):
        raise TalkRefused(NOT_YOURS)
    if talk.status != Talk.Status.CANCELLED:
        talk.status = Talk.Status.CANCELLED
        talk.save(update_fields=["status", "modified_at"])
        session_changed(talk.session)
    return talk


def can_edit_talk(talk: Talk, user) -> bool:
    return user.is_authenticated and (talk.speaker_id == user.pk or talk.session.series.is_organizer(user))


def session_changed(session: Session) -> None:
    """Calendars show the change: bump the session's iCalendar SEQUENCE; archive clouds may need redrawing."""
    Session.objects.filter(pk=session.pk).update(sequence=F("sequence") + 1)
    from tasks.seminars import rebuild_word_cloud_task

    key = f"series:{session.series.slug}"
    transaction.on_commit(lambda: rebuild_word_cloud_task.delay(key))
