import datetime as dt

import factory
from django.utils import timezone

from apps.papers.models import Paper

USER_PASSWORD = "correct horse battery staple"


class PaperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paper

    arxiv_id = factory.Sequence(lambda n: f"2606.{10000 + n}")
    title = factory.Sequence(lambda n: f"Sequential recommendation study {n}")
    abstract = "We study next-item recommendation with two-tower retrievers."
    authors_text = "Ada Lovelace, Alan Turing"
    primary_category = "cs.IR"
    categories = factory.LazyAttribute(lambda paper: [paper.primary_category])
    published = factory.LazyFunction(timezone.now)
    updated = factory.SelfAttribute("published")
    announced = factory.LazyAttribute(lambda paper: paper.published.date() + dt.timedelta(days=1))


class UserFactory(factory.django.DjangoModelFactory):
    """A reader as sign-up makes them: the username is the lowercased email. No profile (made lazily)."""

    class Meta:
        model = "auth.User"
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    username = factory.LazyAttribute(lambda user: user.email.lower())
    password = factory.django.Password(USER_PASSWORD)
