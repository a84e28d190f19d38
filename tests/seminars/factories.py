import datetime as dt

import factory
from django.utils import timezone

from apps.seminars.models import RSVP, SeminarSeries, Session, Talk
from tests.factories import PaperFactory, UserFactory


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeminarSeries

    name = factory.Sequence(lambda n: f"Reading group {n}")
    slug = factory.Sequence(lambda n: f"reading-group-{n}")
    time_zone = "Europe/Moscow"
    weekday = 2
    start_time = dt.time(18, 0)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    series = factory.SubFactory(SeriesFactory)
    start = factory.Sequence(lambda n: timezone.now().replace(microsecond=0) + dt.timedelta(days=7 + n))


class TalkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Talk

    session = factory.SubFactory(SessionFactory)
    speaker = factory.SubFactory(UserFactory)
    paper = factory.SubFactory(PaperFactory)
    title = factory.SelfAttribute("paper.title")
    status = Talk.Status.CONFIRMED


class RSVPFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RSVP

    session = factory.SubFactory(SessionFactory)
    user = factory.SubFactory(UserFactory)
    status = RSVP.Status.GOING
