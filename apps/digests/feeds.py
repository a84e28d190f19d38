"""A reader's latest digest as an Atom feed (Django's syndication framework writes the XML)."""

from django.http import HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from apps.digests import selectors

FEED_SIZE = 50


def digest_atom(request, *, user) -> HttpResponse:
    week = selectors.latest_week()
    feed = Atom1Feed(
        title="Retriever: your weekly RecSys digest",
        link=request.build_absolute_uri(reverse("digests:latest")),
        description="New RecSys papers on arXiv, ranked for you.",
        feed_url=request.build_absolute_uri(),
    )
    if week is not None:
        digest = selectors.digest_for_reader(user=user, week=week)
        for card in (digest.picks + digest.cards)[:FEED_SIZE]:
            paper = card.paper
            feed.add_item(
                title=paper.title,
                link=paper.abs_url,
                description=(f"Editors' pick: {card.note}\n\n" if card.note else "")
                + (f"{card.reason}\n\n" if card.reason else "")
                + paper.abstract,
                author_name=paper.authors_text,
                unique_id=f"{paper.abs_url}#{week.label}",
                pubdate=paper.published,
                categories=paper.categories,
            )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return response
