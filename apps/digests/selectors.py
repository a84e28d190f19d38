"""Reads behind the digest pages: a week's papers, the editors' picks first, the rest ranked.

How a week looks to readers: its papers ranked for them, less the ones editors rejected for the week,
from the first day (a draft week is still served: papers arrive daily). The editors' picks with their
notes appear once the week is published, as frozen at publish; editors preview the draft's live picks.
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Q
from django.db.models.functions import TruncWeek

from apps.common.generations import SERVING, generations, reader_scope
from apps.common.keys import (
    DIGEST_NEIGHBOURS_CACHE,
    DIGEST_PROGRESS_CACHE,
    DIGEST_TRENDING_CACHE,
    DIGEST_WEEK_CACHE,
    cache_key,
)
from apps.digests import models
from apps.embeddings.selectors import embedding_progress
from apps.papers.models import Paper
from apps.papers.selectors import CARD_FIELDS
from apps.papers.weeks import Week
from apps.recommendations.ranking import rank_for_reader
from apps.recommendations.selectors import (
    Card,
    dismissed_paper_ids,
    reader_states,
    trending_papers,
)

CARDS_PER_PAGE = 40
WEEK_SECONDS = 15 * 60  # a backstop: generations retire a reader's cached week as soon as it changes
WARMED_WEEK_SECONDS = 24 * 60 * 60  # ranked ahead (services.warming): kept until the next day's papers
ANONYMOUS_WEEK_SECONDS = 60
TRENDING_SECONDS = 60
METHOD_LABELS = {
    "two_tower": "by the retriever, from your reading history",
    "content": "by similarity to what you liked and saved",
    "popularity": "what other readers liked first, then the newest",
}
PERSONAL_METHODS = {"two_tower", "content"}


@dataclass
class DigestPage:
    week: Week
    picks: list[Card]
    cards: list[Card]  # this page's share of the ranked papers
    total: int  # ranked papers in the whole week
    page: int
    trending: list[Paper]
    method: str
    previous: Week | None
    next: Week | None
    embedding: tuple[int, int] | None = None  # (embedded, catalogue) while papers still wait for vectors
    serving: int = 0  # the serving generation the page was made under (its card fragments key on it)

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)

    @property
    def personal(self) -> bool:
        """Ranked from this reader's own history; otherwise the page must not say "for you"."""
        return self.method in PERSONAL_METHODS

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page * CARDS_PER_PAGE < self.total else None


def digest_weeks() -> list[Week]:
    """Every week that has papers, newest first (the archive)."""
    mondays = (
        Paper.objects.visible()
        .annotate(week=TruncWeek("announced"))
        .values_list("week", flat=True)
        .distinct()
        .order_by("-week")
    )
    return [Week(monday) for monday in mondays]


def latest_week() -> Week | None:
    newest = Paper.objects.visible().order_by("-announced").values_list("announced", flat=True).first()
    return Week.containing(newest) if newest else None


def _neighbour(papers, week: Week, *, later: bool) -> Week | None:
    if later:
        day = papers.filter(announced__gt=week.sunday).order_by("announced").values_list("announced", flat=True).first()
    else:
        day = (
            papers.filter(announced__lt=week.monday).order_by("-announced").values_list("announced", flat=True).first()
        )
    return Week.containing(day) if day else None


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)


def digest_record(week: Week) -> "models.Digest | None":
    return models.Digest.objects.filter(week=week.monday).first()


def week_revision(week: Week) -> int:
    """Changes whenever what readers see of the week changes (picks, decisions, publishing): a cache key part."""
    return models.Digest.objects.filter(week=week.monday).values_list("revision", flat=True).first() or 0


def rejected_paper_ids(week: Week):
    return models.Decision.objects.filter(week=week.monday, verdict=models.Decision.Verdict.REJECT).values("paper_id")


def _picks(digest, week: Week, *, draft: bool) -> list[tuple[int, str]]:
    if digest is not None and digest.is_published:
        return [(pick["paper"], pick["note"]) for pick in digest.picks]
    if draft:
        return list(models.Pin.objects.filter(week=week.monday).order_by("order", "id").values_list("paper_id", "note"))
    return []


def week_picks(week: Week, *, draft: bool = False) -> list[tuple[int, str]]:
    """(paper id, note) in order: as frozen at publish; the live, unpublished picks only when `draft`."""
    return _picks(digest_record(week), week, draft=draft)


def _rank_week(*, user, week: Week, digest, draft: bool) -> dict:
    """The reader's week as ids: the picks they have not dismissed, then every other paper ranked."""
    picks = _picks(digest, week, draft=draft)
    pinned = {paper_id for paper_id, _ in picks}  # never ranked again below, on any page
    in_week = Q(announced__range=(week.monday, week.sunday)) & ~Q(id__in=rejected_paper_ids(week))
    papers = Paper.objects.visible().filter(in_week | Q(id__in=pinned))  # one query, picks of any week too
    if user.is_authenticated:
        papers = papers.exclude(id__in=dismissed_paper_ids(user=user))
    available = set(papers.values_list("id", flat=True))
    ranked, method = rank_for_reader(user=user, paper_ids=sorted(available - pinned))
    return {
        "picks": [(paper_id, note) for paper_id, note in picks if paper_id in available],
        "ranked": [(r.paper_id, r.reason, r.score) for r in ranked],
        "method": method,
    }


def _ranked_week_key(reader: int, week: Week, digest, numbers: tuple[int, int] | None = None) -> str:
    serving, mine = numbers or generations(SERVING, reader_scope(reader))
    return cache_key(DIGEST_WEEK_CACHE, reader, week.label, digest.revision if digest else 0, serving, mine)


def _ranked_week(*, user, week: Week, digest, draft: bool, seconds: int = WEEK_SECONDS, numbers=None) -> dict:
    """_rank_week, cached until the reader acts, the week changes for readers, or what serves changes.

    The key names the reader's generation (bumped by their every interaction), the serving generation
    (papers stored or embedded, a model activated) and the week's revision (editors' picks, decisions,
    publishing), so a like, a dismissal or an activation shows on the very next load. Editors'
    previews of a draft are never cached. Anonymous readers share an entry per week, kept briefly
    since others' likes reorder it.
    """
    if draft:
        return _rank_week(user=user, week=week, digest=digest, draft=True)
    reader = user.pk if user.is_authenticated else 0
    key = _ranked_week_key(reader, week, digest, numbers)
    found = cache.get(key)
    if found is None:
        found = _rank_week(user=user, week=week, digest=digest, draft=False)
        cache.set(key, found, seconds if reader else ANONYMOUS_WEEK_SECONDS)
    return found


def week_is_ranked(*, user, week: Week) -> bool:
    """Whether the reader's week, as it is now, is in the cache (their next visit ranks nothing)."""
    return cache.get(_ranked_week_key(user.pk, week, digest_record(week))) is not None


def ranked_week_cached(*, user, week: Week) -> bool:
    """Rank the reader's week into the cache unless it is there already (warming ahead); True if ranked now."""
    if week_is_ranked(user=user, week=week):
        return False
    digest = digest_record(week)
    _ranked_week(user=user, week=week, digest=digest, draft=False, seconds=WARMED_WEEK_SECONDS)
    return True


def _surroundings(week: Week, serving: int, *, signed_in: bool) -> tuple:
    """(previous week, next week, trending papers, embedding progress or None): one cache round trip.

    The neighbouring weeks and the embedding progress are kept per serving generation (bumped whenever
    papers are stored or embedded), the trending papers for TRENDING_SECONDS, since others' likes move them.
    """
    neighbours_key = cache_key(DIGEST_NEIGHBOURS_CACHE, week.label, serving)
    trending_key = cache_key(DIGEST_TRENDING_CACHE, week.label)
    progress_key = cache_key(DIGEST_PROGRESS_CACHE, serving)
    found = cache.get_many([neighbours_key, trending_key, *([progress_key] if signed_in else [])])
    if neighbours_key not in found:
        visible = Paper.objects.visible()
        found[neighbours_key] = (_neighbour(visible, week, later=False), _neighbour(visible, week, later=True))
        cache.set(neighbours_key, found[neighbours_key], WEEK_SECONDS)
    if trending_key not in found:
        found[trending_key] = trending_papers(start=_midnight(week.monday), end=_midnight(week.next.monday))
        cache.set(trending_key, found[trending_key], TRENDING_SECONDS)
    progress = None
    if signed_in:
        if progress_key not in found:
            found[progress_key] = (embedding_progress() or "done",)  # a tuple: "nothing to report" is kept too
            cache.set(progress_key, found[progress_key], WEEK_SECONDS)
        progress = None if found[progress_key][0] == "done" else found[progress_key][0]
    return (*found[neighbours_key], found[trending_key], progress)


def _shown_score(method: str, score: list[float]) -> float | None:
    """The ranking score a card may show: a personal ranking's, and only a real number."""
    return score[0] if method in PERSONAL_METHODS and score and math.isfinite(score[0]) else None


def digest_for_reader(*, user, week: Week, page: int = 1, draft: bool = False) -> DigestPage:
    """The week's papers for this reader (anonymous readers get the editors' order and popularity).

    Picks come first whenever their papers were announced (an older classic shows in the week it is
    pinned to); `draft` shows an unpublished week's picks (the editors' preview). The ranked week
    comes from the cache (_ranked_week); a page then costs a fixed, small number of queries: the
    week's record, this page's papers and the reader's button states.
    """
    digest = digest_record(week)
    numbers = generations(SERVING, reader_scope(user.pk if user.is_authenticated else 0))  # read once a page
    ranked_week = _ranked_week(user=user, week=week, digest=digest, draft=draft, numbers=numbers)
    picks = ranked_week["picks"] if page == 1 else []
    shown = ranked_week["ranked"][(page - 1) * CARDS_PER_PAGE : page * CARDS_PER_PAGE]
    ids = [paper_id for paper_id, _ in picks] + [paper_id for paper_id, *_ in shown]
    papers = Paper.objects.visible().only(*CARD_FIELDS, "modified_at").in_bulk(ids)  # withdrawn since: left out
    states = reader_states(user=user, paper_ids=ids)
    previous, following, trending, progress = _surroundings(week, numbers[0], signed_in=user.is_authenticated)
    return DigestPage(
        week=week,
        picks=[Card(papers[pid], note=note, states=states[pid]) for pid, note in picks if pid in papers],
        cards=[
            Card(papers[pid], reason=reason, states=states[pid], score=_shown_score(ranked_week["method"], score))
            for pid, reason, *score in shown
            if pid in papers  # entries cached before scores have none
        ],
        total=len(ranked_week["ranked"]),
        page=page,
        trending=trending,
        method=ranked_week["method"],
        previous=previous,
        next=following,
        embedding=progress,
        serving=numbers[0],
    )
