import datetime as dt

import factory
from django.utils import timezone

from apps.papers.models import Paper


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
