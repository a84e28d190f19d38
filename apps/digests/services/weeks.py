"""A week's Digest row and its revision: the one place that says "what readers see of this week changed"."""

from django.db import transaction
from django.db.models import F

from apps.digests.models import Digest
from apps.digests.signals import week_changed
from apps.papers.weeks import Week


def digest_get_or_create(*, week: Week) -> Digest:
    """The week's Digest, a draft when new (the unique week makes concurrent creations meet on one row)."""
    return Digest.objects.get_or_create(week=week.monday)[0]


def week_changed_record(*, week: Week) -> int:
    """Bump the week's revision and, on commit, send `week_changed(week=, revision=)`.

    Call it inside the transaction of every write that changes what readers see of a week (picks,
    notes, order, decisions, publish, unpublish). Caches of a week's digest either key on
    `selectors.week_revision(week)` or listen to the signal; both stay right across processes.
    """
    digest = digest_get_or_create(week=week)
    Digest.objects.filter(pk=digest.pk).update(revision=F("revision") + 1)
    revision = Digest.objects.values_list("revision", flat=True).get(pk=digest.pk)
    transaction.on_commit(lambda: week_changed.send(sender=Digest, week=week, revision=revision))
    return revision
