"""Speaker sign-up: claiming a session, the one-talk constraint under a race, approval, editing."""

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.recommendations.models import Interaction
from apps.seminars.models import Notice, Talk
from apps.seminars.services import TalkRefused, talk_cancel, talk_claim, talk_decide, talk_update
from apps.seminars.services.talks import SLOT_TAKEN
from tests.factories import PaperFactory, UserFactory
from tests.seminars.factories import RSVPFactory, SeriesFactory, SessionFactory, TalkFactory

pytestmark = pytest.mark.django_db


def test_a_claim_confirms_the_talk_and_records_the_present_interaction():
    session, reader, paper = SessionFactory(), UserFactory(), PaperFactory()
    talk = talk_claim(session=session, speaker=reader, paper=paper)
    assert talk.status == Talk.Status.CONFIRMED and talk.title == paper.title
    assert Interaction.objects.filter(user=reader, paper=paper, kind="present", source="seminar").count() == 1
    session.refresh_from_db()
    assert session.sequence == 1  # the calendar shows the talk now


def test_a_second_claim_of_a_held_session_gets_a_clear_message():
    session = SessionFactory()
    talk_claim(session=session, speaker=UserFactory(), paper=PaperFactory())
    with pytest.raises(TalkRefused, match="Someone else has just claimed"):
        talk_claim(session=session, speaker=UserFactory(), paper=PaperFactory())


def test_the_database_itself_refuses_two_holding_talks_in_one_session():
    first = TalkFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        TalkFactory(session=first.session, status=Talk.Status.PROPOSED)
    TalkFactory(session=first.session, status=Talk.Status.CANCELLED)  # a withdrawn talk holds nothing


@pytest.mark.django_db(transaction=True)
def test_two_readers_claiming_one_slot_at_once_get_one_success_and_one_clear_message():
    session, papers = SessionFactory(), PaperFactory.create_batch(2)
    readers = UserFactory.create_batch(2)
    barrier, outcomes = threading.Barrier(2), []

    def claim(reader, paper):
        try:
            barrier.wait(5)  # both have passed the view's checks; the insert decides
            outcomes.append(talk_claim(session=session, speaker=reader, paper=paper))
        except TalkRefused as refused:
            outcomes.append(str(refused))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=pair) for pair in zip(readers, papers)]
    [thread.start() for thread in threads]
    [thread.join(10) for thread in threads]
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["Talk", "str"]
    assert SLOT_TAKEN in outcomes
    assert Talk.objects.filter(session=session, status="confirmed").count() == 1
    assert Interaction.objects.filter(kind="present").count() == 1


def test_claims_of_cancelled_or_past_sessions_are_refused():
    cancelled = SessionFactory(status="cancelled")
    past = SessionFactory(start=timezone.now() - dt.timedelta(days=2))
    for session in (cancelled, past):
        with pytest.raises(TalkRefused):
            talk_claim(session=session, speaker=UserFactory(), paper=PaperFactory())
    assert not Talk.objects.exists()


def test_where_the_series_asks_a_proposal_waits_and_the_organizer_decides_with_a_message():
    session = SessionFactory(series=SeriesFactory(talks_need_approval=True))
    speaker = UserFactory()
    talk = talk_claim(session=session, speaker=speaker, paper=PaperFactory())
    assert talk.status == Talk.Status.PROPOSED and not Interaction.objects.exists()
    with pytest.raises(TalkRefused):  # the proposal holds the slot meanwhile
        talk_claim(session=session, speaker=UserFactory(), paper=PaperFactory())

    talk = talk_decide(talk=talk, confirm=False, message="We had this paper last month.")
    assert talk.status == Talk.Status.CANCELLED
    notice = Notice.objects.get(user=speaker, kind="decision")
    assert notice.talk.decision_message == "We had this paper last month."
    again = talk_claim(session=session, speaker=UserFactory(), paper=PaperFactory())  # the slot is free again
    confirmed = talk_decide(talk=again, confirm=True)
    assert confirmed.status == Talk.Status.CONFIRMED
    assert Interaction.objects.filter(kind="present", user=again.speaker).count() == 1
    with pytest.raises(TalkRefused):
        talk_decide(talk=again, confirm=True)


def test_followers_get_the_announcement_and_attendees_hear_when_slides_appear():
    series = SeriesFactory()
    follower, speaker = UserFactory(), UserFactory()
    series.followers.add(follower, speaker)
    session = SessionFactory(series=series)
    attendee = RSVPFactory(session=session).user
    talk = talk_claim(session=session, speaker=speaker, paper=PaperFactory())
    assert set(Notice.objects.filter(kind="announcement").values_list("user", flat=True)) == {follower.pk}

    talk_update(
        talk=talk, by=speaker, title=talk.title, abstract="", slides_url="https://slides.example.org/1", video_url=""
    )
    talk_update(
        talk=talk,
        by=speaker,
        title="A better title",
        abstract="",
        slides_url="https://slides.example.org/1",
        video_url="",
    )
    assert list(Notice.objects.filter(kind="materials").values_list("user", flat=True)) == [attendee.pk]
    with pytest.raises(TalkRefused):
        talk_update(talk=talk, by=attendee, title="Mine now", abstract="", slides_url="", video_url="")
    with pytest.raises(TalkRefused):
        talk_cancel(talk=talk, by=attendee)
    assert talk_cancel(talk=talk, by=speaker).status == Talk.Status.CANCELLED


def test_a_paper_not_in_the_catalogue_is_fetched_by_arxiv_id_through_ingestion(arxiv_feed, recsys_entries):
    from apps.papers.models import Paper
    from apps.papers.services import PaperUnavailable, paper_by_arxiv_id

    entry = recsys_entries[0]
    arxiv_feed.entries = [entry]
    paper = paper_by_arxiv_id(f"https://arxiv.org/abs/{entry.arxiv_id}v1")
    assert paper.arxiv_id == entry.arxiv_id and Paper.objects.count() == 1
    assert paper_by_arxiv_id(entry.arxiv_id) == paper  # the catalogue now answers
    arxiv_feed.entries = []
    with pytest.raises(PaperUnavailable, match="arXiv has no paper"):
        paper_by_arxiv_id("2501.00001")
    with pytest.raises(PaperUnavailable, match="not an arXiv id"):
        paper_by_arxiv_id("<script>")
