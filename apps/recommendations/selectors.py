"""Reads of readers' interactions."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from apps.papers.models import Paper
from apps.recommendations.models import Interaction, ItemVector, ModelVersion, ReaderVector

POSITIVE = [Interaction.Kind.LIKE, Interaction.Kind.SAVE, Interaction.Kind.PRESENT]


def reader_states(*, user, paper_ids) -> dict[int, set[str]]:
    """{paper id: {"like", "save", ...}} for the buttons on a page of cards, in one query."""
    states: dict[int, set[str]] = defaultdict(set)
    if user.is_authenticated:
        rows = Interaction.objects.filter(user=user, paper_id__in=paper_ids, kind__in=Interaction.STATES)
        for paper_id, kind in rows.values_list("paper_id", "kind"):
            states[paper_id].add(kind)
    return states


@dataclass
class Card:
    """A paper as a reader sees it on a page: why it is there, and the state of its buttons."""

    paper: Paper
    reason: str = ""
    note: str = ""
    states: set[str] = field(default_factory=set)
    score: float | None = None  # the ranking's score, where it has a meaning a reader can use


def cards_for(*, user, papers: list[Paper]) -> list[Card]:
    states = reader_states(user=user, paper_ids=[paper.id for paper in papers])
    return [Card(paper, states=states[paper.id]) for paper in papers]


def dismissed_paper_ids(*, user) -> QuerySet:
    return Interaction.objects.filter(user=user, kind=Interaction.Kind.DISMISS).values("paper_id")


def dismissed_by_reader(*, user_ids) -> dict[int, set[int]]:
    """{reader id: the papers they dismissed} for a batch of readers, in one query."""
    dismissed: dict[int, set[int]] = {user_id: set() for user_id in user_ids}
    rows = Interaction.objects.filter(user_id__in=user_ids, kind=Interaction.Kind.DISMISS)
    for user_id, paper_id in rows.values_list("user_id", "paper_id"):
        dismissed[user_id].add(paper_id)
    return dismissed


def _first_positives(rows, limit: int) -> dict[int, str]:
    positives: dict[int, str] = {}
    for paper_id, kind in rows:
        positives.setdefault(paper_id, kind)
    return dict(list(positives.items())[:limit])


def positive_papers(*, user, limit: int = 200) -> dict[int, str]:
    """{paper id: what the reader did} for what they liked, saved or presented, most recent first."""
    rows = Interaction.objects.filter(user=user, kind__in=POSITIVE).order_by("-created_at", "-id")
    return _first_positives(rows.values_list("paper_id", "kind")[: limit * len(POSITIVE)], limit)


def positive_papers_by_reader(*, user_ids, limit: int = 200) -> dict[int, dict[int, str]]:
    """`positive_papers` for a batch of readers in one query: each reader's newest rows by a window."""
    newest_first = Window(RowNumber(), partition_by=F("user_id"), order_by=[F("created_at").desc(), F("id").desc()])
    rows = (
        Interaction.objects.filter(user_id__in=user_ids, kind__in=POSITIVE)
        .annotate(row=newest_first)
        .filter(row__lte=limit * len(POSITIVE))
        .order_by("user_id", "row")
        .values_list("user_id", "paper_id", "kind")
    )
    by_reader: dict[int, list[tuple[int, str]]] = {user_id: [] for user_id in user_ids}
    for user_id, paper_id, kind in rows:
        by_reader[user_id].append((paper_id, kind))
    return {user_id: _first_positives(reader_rows, limit) for user_id, reader_rows in by_reader.items()}


def library_papers(*, user) -> QuerySet[Paper]:
    return Paper.objects.filter(interactions__user=user, interactions__kind=Interaction.Kind.SAVE).order_by(
        "-interactions__created_at"
    )


def most_liked_first(*, paper_ids) -> list[tuple[int, int]]:
    """(paper id, likes + saves), most first, newest announcement breaking ties."""
    liked = Count("interactions", filter=Q(interactions__kind__in=[Interaction.Kind.LIKE, Interaction.Kind.SAVE]))
    rows = Paper.objects.filter(id__in=paper_ids).annotate(score=liked)
    return list(rows.order_by("-score", "-announced", "-id").values_list("id", "score"))


def trending_papers(*, start: dt.datetime, end: dt.datetime, limit: int = 5) -> list[Paper]:
    """Most liked and saved between two moments (a week), whenever the papers came out.

    Counted from the interactions in the window (an index range), not by joining every paper.
    """
    top = list(
        Interaction.objects.filter(
            kind__in=[Interaction.Kind.LIKE, Interaction.Kind.SAVE],
            created_at__gte=start,
            created_at__lt=end,
            paper__withdrawn=False,
        )
        .values("paper_id")
        .annotate(score=Count("id"))
        .order_by("-score", "-paper_id")[:limit]
    )
    papers = Paper.objects.in_bulk([row["paper_id"] for row in top])
    return [papers[row["paper_id"]] for row in top]


def mean_reader_scores(*, paper_ids) -> dict[int, float]:
    """{paper id: the active model's score averaged over readers} for papers with an item vector.

    The mean of r·v over readers is (mean r)·v, so it costs one pass over the cached reader vectors.
    Empty without an active model or cached reader vectors.
    """
    version = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
    if version is None:
        return {}
    readers = [
        np.asarray(v, dtype=np.float32)
        for v in ReaderVector.objects.filter(model_version=version).values_list("vector", flat=True)
    ]
    if not readers:
        return {}
    mean_reader = np.mean(readers, axis=0)
    items = ItemVector.objects.filter(model_version=version, paper_id__in=paper_ids).values_list("paper_id", "vector")
    return {pid: float(np.dot(mean_reader, np.asarray(vector, dtype=np.float32))) for pid, vector in items}
