"""The seminar's pages: what readers, speakers and organizers see and may do, and clear 4xx for the rest."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.recommendations.models import Interaction
from apps.seminars.models import RSVP, Session, Talk
from apps.seminars.services import talk_claim
from tests.factories import PaperFactory, UserFactory
from tests.seminars.factories import SeriesFactory, SessionFactory, TalkFactory

pytestmark = pytest.mark.django_db


def test_the_seminar_is_in_the_nav_and_has_empty_states(client):
    html = client.get("/seminars/").content.decode()
    assert 'href="/seminars/">Seminar</a>' in html and "No seminar series yet" in html
    series = SeriesFactory(slug="recsys")
    assert "No upcoming sessions" in client.get("/seminars/recsys/").content.decode()
    assert "No talks given yet" in client.get("/seminars/recsys/archive/").content.decode()
    assert client.get("/seminars/nope/").status_code == 404
    assert client.get("/seminars/sessions/999/").status_code == 404
    assert series.name in client.get("/seminars/").content.decode()


def test_a_reader_claims_an_open_session_from_its_page_with_the_catalogue_search(client):
    session = SessionFactory()
    paper = PaperFactory(title="Corrected logQ for sampled softmax")
    reader = UserFactory()
    client.force_login(reader)
    page = client.get(f"/seminars/sessions/{session.pk}/?q=logQ").content.decode()
    assert "Present a paper here" in page and f'value="{paper.arxiv_id}"' in page  # no-JS search
    partial = client.get("/seminars/papers/?q=softmax", headers={"HX-Request": "true"}).content.decode()
    assert f'value="{paper.arxiv_id}"' in partial and "<html" not in partial

    missing = client.post(f"/seminars/sessions/{session.pk}/claim/", {"title": ""})
    assert missing.status_code == 400 and "Pick a paper" in missing.content.decode()
    response = client.post(f"/seminars/sessions/{session.pk}/claim/", {"paper": paper.arxiv_id, "title": ""})
    assert response.status_code == 302
    talk = Talk.objects.get(session=session)
    assert (talk.speaker, talk.paper, talk.status) == (reader, paper, "confirmed")
    page = client.get(f"/seminars/sessions/{session.pk}/").content.decode()
    assert "Corrected logQ for sampled softmax" in page and "Present a paper here" not in page

    client.force_login(UserFactory())
    late = client.post(f"/seminars/sessions/{session.pk}/claim/", {"paper": PaperFactory().arxiv_id})
    assert late.status_code == 400 and "Someone else has just claimed this session" in late.content.decode()


def test_a_typed_unknown_id_is_a_form_error_not_a_500(client, arxiv_feed):
    session = SessionFactory()
    client.force_login(UserFactory())
    response = client.post(f"/seminars/sessions/{session.pk}/claim/", {"arxiv_id": "2501.99999"})
    assert response.status_code == 400 and "arXiv has no paper 2501.99999" in response.content.decode()
    response = client.post(f"/seminars/sessions/{session.pk}/claim/", {"arxiv_id": "'; DROP TABLE"})
    assert response.status_code == 400 and "is not an arXiv id" in response.content.decode()
    assert not Talk.objects.exists()


def test_ill_present_this_from_a_paper_page_and_a_digest_card(client):
    paper = PaperFactory(announced=dt.date(2026, 6, 24))
    free = SessionFactory()
    TalkFactory(session=SessionFactory())  # taken: not offered
    reader = UserFactory()
    client.force_login(reader)
    assert (
        f'href="/seminars/present/{paper.arxiv_id}/?source=paper"'
        in client.get(f"/papers/{paper.arxiv_id}/").content.decode()
    )
    assert (
        f'href="/seminars/present/{paper.arxiv_id}/?source=digest"' in client.get("/digest/2026-W26/").content.decode()
    )
    picker = client.get(f"/seminars/present/{paper.arxiv_id}/?source=digest").content.decode()
    assert picker.count('name="session"') == 1 and f'value="{free.pk}"' in picker
    response = client.post(
        f"/seminars/present/{paper.arxiv_id}/", {"session": free.pk, "source": "digest", "title": "My take"}
    )
    assert response.status_code == 302 and response["Location"] == f"/seminars/sessions/{free.pk}/"
    assert Talk.objects.get(session=free).title == "My take"
    assert Interaction.objects.get(kind="present").source == "digest"
    again = client.post(f"/seminars/present/{paper.arxiv_id}/", {"session": free.pk})
    assert again.status_code == 400 and "no longer free" in again.content.decode()


def test_rsvp_serves_the_page_and_the_htmx_partial(client):
    session = SessionFactory(capacity=1)
    RSVP.objects.create(session=session, user=UserFactory(), status="going")
    reader = UserFactory()
    client.force_login(reader)
    assert "Join the waitlist" in client.get(f"/seminars/sessions/{session.pk}/").content.decode()
    partial = client.post(f"/seminars/sessions/{session.pk}/rsvp/", {"going": "1"}, headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert "<html" not in html and "number 1 on the waitlist" in html
    assert client.post(f"/seminars/sessions/{session.pk}/rsvp/", {"going": "0"}).status_code == 302
    assert RSVP.objects.get(user=reader).status == "cancelled"
    past = SessionFactory(start=timezone.now() - dt.timedelta(days=3))
    response = client.post(f"/seminars/sessions/{past.pk}/rsvp/", {"going": "1"}, follow=True)
    assert "This session is over" in response.content.decode()
    assert client.get(f"/seminars/sessions/{session.pk}/rsvp/").status_code == 405


def test_organizers_plan_a_term_decide_proposals_and_cancel_others_get_403(client):
    series = SeriesFactory(slug="recsys", talks_need_approval=True, weekday=3)
    organizer, reader = UserFactory(), UserFactory()
    series.organizers.add(organizer)
    client.force_login(reader)
    assert client.get("/seminars/recsys/manage/").status_code == 403
    client.force_login(organizer)
    monday = timezone.localdate() + dt.timedelta(days=7 - timezone.localdate().weekday())
    response = client.post("/seminars/recsys/manage/", {"first_day": monday.isoformat(), "weeks": 4, "capacity": 20})
    assert response.status_code == 302 and series.sessions.count() == 4
    assert {session.start.astimezone(series.zone).weekday() for session in series.sessions.all()} == {3}
    assert client.post("/seminars/recsys/manage/", {"first_day": "", "weeks": 99}).status_code == 400

    first = series.sessions.first()
    proposal = talk_claim(session=first, speaker=reader, paper=PaperFactory())
    assert proposal.title in client.get("/seminars/recsys/manage/").content.decode()
    client.post(f"/seminars/talks/{proposal.pk}/decide/", {"decision": "confirm", "message": "Welcome!"})
    proposal.refresh_from_db()
    assert proposal.status == "confirmed" and proposal.decision_message == "Welcome!"
    client.post(f"/seminars/sessions/{first.pk}/cancel/")
    assert Session.objects.get(pk=first.pk).status == "cancelled"
    client.force_login(reader)
    assert client.post(f"/seminars/sessions/{first.pk}/cancel/").status_code == 403
    assert "Organizers: Welcome!" in client.get("/seminars/mine/").content.decode()


def test_speakers_edit_their_own_talk_and_have_a_page(client):
    talk = TalkFactory(speaker=UserFactory(first_name="Grace", last_name="Hopper"))
    client.force_login(UserFactory())
    assert client.get(f"/seminars/talks/{talk.pk}/edit/").status_code == 403
    client.force_login(talk.speaker)
    bad = client.post(f"/seminars/talks/{talk.pk}/edit/", {"title": "T", "slides_url": "not a url"})
    assert bad.status_code == 400
    client.post(
        f"/seminars/talks/{talk.pk}/edit/",
        {"title": "Nanoseconds", "abstract": "$O(n)$", "slides_url": "https://s.example.org/x", "video_url": ""},
    )
    talk.refresh_from_db()
    assert (talk.title, talk.slides_url) == ("Nanoseconds", "https://s.example.org/x")
    speaker_page = client.get(f"/seminars/speakers/{talk.speaker_id}/").content.decode()
    assert "Grace Hopper" in speaker_page and "Nanoseconds" in speaker_page
    assert client.get(f"/seminars/speakers/{UserFactory().pk}/").status_code == 404


def test_the_archive_counts_talks_per_year_in_the_series_zone(client):
    series = SeriesFactory(slug="recsys", time_zone="Europe/Moscow")
    # 31 Dec 2025 22:00 UTC is already 2026 in Moscow.
    for start in [
        dt.datetime(2025, 12, 31, 22, tzinfo=dt.UTC),
        dt.datetime(2025, 6, 1, 15, tzinfo=dt.UTC),
        dt.datetime(2024, 6, 1, 15, tzinfo=dt.UTC),
    ]:
        TalkFactory(session=SessionFactory(series=series, start=start))
    TalkFactory(session=SessionFactory(series=series, start=dt.datetime(2024, 7, 1, tzinfo=dt.UTC), status="cancelled"))
    html = client.get("/seminars/recsys/archive/").content.decode()
    assert "3 talks:" in html and ">2026</a> (1)" in html and ">2025</a> (1)" in html and ">2024</a> (1)" in html


def test_following_a_series(client):
    series = SeriesFactory(slug="recsys")
    reader = UserFactory()
    client.force_login(reader)
    html = client.post("/seminars/recsys/follow/", {"follow": "1"}, headers={"HX-Request": "true"}).content.decode()
    assert "Following · stop" in html and series.followers.filter(pk=reader.pk).exists()
    client.post("/seminars/recsys/follow/", {"follow": "0"})
    assert not series.followers.exists()
