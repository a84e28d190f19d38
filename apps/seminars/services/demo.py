"""The demo seminar `make run` shows: a series with past talks on sample papers and a term ahead.

The sample is what the relevance gate let in (about fifty papers with the classifier on), so the demo takes
what is there, recommender papers first, rather than asking for a fixed number of cs.IR ones."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from apps.accounts.models import Profile
from apps.accounts.services import DEMO_EDITOR_USERNAME
from apps.papers.models import Paper
from apps.seminars.models import RSVP, SeminarSeries, Session, Talk
from apps.seminars.services.schedule import local_start, term_generate

SLUG = "recsys-reading-group"
SPEAKERS = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth"]
PAST_WEEKS = 30
TERM_WEEKS = 12
BOOKED_AHEAD = 3
MIN_PAST_TALKS = 4
RECSYS_TITLES = r"recommend|rank|personali|collaborative|retriev"


@transaction.atomic
def demo_seminar_seed() -> SeminarSeries | None:
    """Once: returns the new series, or None when it exists already or there are too few papers."""
    if SeminarSeries.objects.filter(slug=SLUG).exists():
        return None
    papers = _demo_papers(PAST_WEEKS + BOOKED_AHEAD)
    if len(papers) < MIN_PAST_TALKS + BOOKED_AHEAD:
        return None
    past_weeks = len(papers) - BOOKED_AHEAD
    series = SeminarSeries.objects.create(
        name="RecSys Reading Group",
        slug=SLUG,
        time_zone="Europe/Moscow",
        weekday=3,
        start_time=dt.time(18, 0),
        place="Room 404 and online",
        video_link="https://meet.example.org/recsys-reading-group",
        description="Every Thursday a reader presents a recent recommender-systems paper. Pick an open session "
        "and present one you liked; everyone is welcome to attend.",
    )
    User = get_user_model()
    series.organizers.add(*User.objects.filter(username=DEMO_EDITOR_USERNAME))
    speakers = []
    for name in SPEAKERS:
        first, last = name.split()
        email = f"{first.lower()}@seminar.example.org"
        user, _ = User.objects.get_or_create(
            username=email, defaults={"email": email, "first_name": first, "last_name": last, "password": "!"}
        )
        Profile.objects.get_or_create(user=user, defaults={"demo": True})  # never emailed the newsletter
        speakers.append(user)

    today = timezone.localdate(timezone.now(), series.zone)
    this_week = today - dt.timedelta(days=(today.weekday() - series.weekday) % 7)  # the latest seminar day
    past = Session.objects.bulk_create(
        [
            Session(
                series=series,
                start=local_start(series, this_week - dt.timedelta(weeks=week)),
                duration=series.duration,
                place=series.place,
                sequence=1,
            )
            for week in range(past_weeks, 0, -1)
        ]
    )
    upcoming = term_generate(series=series, first_day=this_week + dt.timedelta(days=1), weeks=TERM_WEEKS, capacity=30)
    talks = [
        Talk(
            session=session,
            speaker=speakers[i % len(speakers)],
            paper=paper,
            title=paper.title,
            abstract=paper.abstract,
            status=Talk.Status.CONFIRMED,
            slides_url=f"https://slides.example.org/{paper.arxiv_id}" if i % 3 == 0 else "",
        )
        for i, (session, paper) in enumerate(zip(past + upcoming[:BOOKED_AHEAD], papers))
    ]
    Talk.objects.bulk_create(talks)
    RSVP.objects.bulk_create(
        [RSVP(session=upcoming[0], user=speaker, status=RSVP.Status.GOING) for speaker in speakers[1:]]
    )
    return series


def _demo_papers(count: int) -> list[Paper]:
    """Up to `count` papers, recommender titles in cs.IR first, in the order they were announced (past talks
    then present papers older than the session, as a reading group does)."""
    recsys = Q(categories__contains=["cs.IR"], title__iregex=RECSYS_TITLES)
    chosen = (
        Paper.objects.visible()
        .annotate(recsys=ExpressionWrapper(recsys, output_field=BooleanField()))
        .order_by("-recsys", "announced", "arxiv_id")[:count]
    )
    return sorted(chosen, key=lambda paper: (paper.announced, paper.arxiv_id))
