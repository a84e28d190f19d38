"""Reads of the catalogue."""

from django.db.models import QuerySet

from apps.papers.models import Paper


def papers_by_announcement() -> QuerySet[Paper]:
    """Newest announcements first, ready for a list page (one query for the papers, none per card)."""
    return (
        Paper.objects.visible()
        .order_by("-announced", "-arxiv_id")
        .only(
            "arxiv_id",
            "version",
            "title",
            "abstract",
            "authors_text",
            "primary_category",
            "categories",
            "announced",
            "comment",
        )
    )
