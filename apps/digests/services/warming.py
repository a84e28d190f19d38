"""Readers' weeks ranked ahead, so that their first visit after new papers, a new model or a publish is warm.

Each of those bumps a generation (apps.common.generations) or the week's revision, which retires
every reader's cached week at once; without this, each reader's next visit would rank their week
while they wait. Only readers active lately are ranked (the others may not come back this week, and
a cold page still works), most recent first, and only the newest week, which is the one they open.
Entries keyed by the current numbers, so a change during the run retires what it ranked, as it should.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone

from apps.digests import selectors
from apps.papers.weeks import Week
from apps.recommendations.models import Interaction

ACTIVE_DAYS = 14
MAX_READERS = 2000


def active_reader_ids(*, days: int = ACTIVE_DAYS, limit: int = MAX_READERS) -> list[int]:
    """Readers who acted in the last `days`, most recent first."""
    since = timezone.now() - dt.timedelta(days=days)
    rows = (
        Interaction.objects.filter(created_at__gte=since)
        .values("user_id")
        .annotate(last=Max("created_at"))
        .order_by("-last")[:limit]
    )
    return [row["user_id"] for row in rows]


def digest_weeks_warm(*, week: Week | None = None, reader_ids: list[int] | None = None) -> dict:
    """Rank `week` (the newest by default) into the cache for recently active readers (or `reader_ids`)."""
    week = week or selectors.latest_week()
    if week is None:
        return {"week": None, "ranked": 0, "already": 0}
    ids = active_reader_ids() if reader_ids is None else reader_ids
    users = get_user_model().objects.filter(pk__in=ids, is_active=True).in_bulk()
    ranked = already = 0
    for reader_id in ids:
        if reader_id not in users:
            continue
        if selectors.ranked_week_cached(user=users[reader_id], week=week):
            ranked += 1
        else:
            already += 1
    return {"week": week.label, "ranked": ranked, "already": already}
