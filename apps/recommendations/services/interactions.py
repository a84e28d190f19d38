"""Writes of readers' interactions."""

from django.db import transaction
from django.db.models import QuerySet

from apps.common.generations import bump, reader_scope
from apps.papers.models import Paper
from apps.recommendations.models import Interaction, ReaderVector

Kind = Interaction.Kind
# Liking or saving a paper takes back its dismissal, and the other way round.
CONTRADICTS = {Kind.LIKE: [Kind.DISMISS], Kind.SAVE: [Kind.DISMISS], Kind.DISMISS: [Kind.LIKE, Kind.SAVE]}
NOT_A_STATE = "Only likes, saves and dismissals can be toggled."


@transaction.atomic
def interaction_toggle(*, user, paper: Paper, kind: str, source: str) -> bool:
    """Turn a like/save/dismiss on or off; returns whether it is now on."""
    if kind not in Interaction.STATES:
        raise ValueError(NOT_A_STATE)
    bump(reader_scope(user.pk))  # their cached digest weeks are stale either way
    mine = Interaction.objects.filter(user=user, paper=paper)
    deleted, _ = mine.filter(kind=kind).delete()
    if deleted:
        # the history lost a row, and its newest moment may not have moved: the cached vector (and the
        # neighbours' history rows) would still look fresh (ranking/two_tower.py)
        ReaderVector.objects.filter(user=user).delete()
        return False
    mine.filter(kind__in=CONTRADICTS[kind]).delete()
    Interaction.objects.create(user=user, paper=paper, kind=kind, source=source)
    return True


def interaction_record(*, user, paper: Paper, kind: str, source: str) -> Interaction:
    """An event (a view, an arXiv open, a seminar presentation); states go through interaction_toggle."""
    if kind in Interaction.STATES:
        raise ValueError(f"{kind} is a state: use interaction_toggle.")
    bump(reader_scope(user.pk))  # the two-tower reader vector reads views and opens too
    return Interaction.objects.create(user=user, paper=paper, kind=kind, source=source)


@transaction.atomic
def interactions_delete(*, interactions: QuerySet) -> int:
    """Delete interactions (the admin, at a reader's request); returns how many. Their readers' cached
    vectors and digest weeks go too: the history they were made from lost rows, and its newest moment
    need not have moved."""
    readers = set(interactions.values_list("user_id", flat=True))
    deleted, _ = interactions.delete()
    ReaderVector.objects.filter(user_id__in=readers).delete()
    for reader in readers:
        bump(reader_scope(reader))
    return deleted
