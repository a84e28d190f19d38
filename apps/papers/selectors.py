"""Reads of the catalogue."""

from django.db.models import QuerySet

from apps.papers.models import Paper

# What a paper's card shows: list pages load only these.
CARD_FIELDS = [
    "id",
    "arxiv_id",
    "version",
    "title",
    "abstract",
    "authors_text",
    "primary_category",
    "categories",
    "announced",
    "comment",
]


def papers_by_announcement() -> QuerySet[Paper]:
    """Newest announcements first, ready for a list page (one query for the papers, none per card)."""
    return Paper.objects.visible().order_by("-announced", "-arxiv_id").only(*CARD_FIELDS)
