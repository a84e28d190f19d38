"""Reads of the seminar, for pages and feeds."""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from apps.common.keys import WORD_CLOUD_CACHE, cache_key
from apps.papers.models import Paper
from apps.papers.records import InvalidRecord, clean, split_arxiv_id
from apps.seminars.models import RSVP, SeminarSeries, Session, Talk, WordCloud

PAPER_CHOICES = 8
CLOUD_CACHE_SECONDS = 60 * 60  # a rebuild drops it at once; this only bounds a lost invalidation


def _holding_talks() -> Prefetch:
    talks = Talk.objects.filter(status__in=Talk.HOLDING).select_related("speaker", "paper")
    return Prefetch("talks", talks, to_attr="holding")


def with_talk(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """Sessions with `holding` (their talk, as a list of 0 or 1) and `going` (seats taken)."""
    return (
        sessions.select_related("series")
        .prefetch_related(_holding_talks())
        .annotate(going=Count("rsvps", filter=Q(rsvps__status=RSVP.Status.GOING)))
    )


def upcoming_sessions(*, series: SeminarSeries | None = None) -> QuerySet[Session]:
    sessions = Session.objects.upcoming()
    if series is not None:
        sessions = sessions.filter(series=series)
    return with_talk(sessions).order_by("start")


def free_sessions(*, series: SeminarSeries | None = None) -> QuerySet[Session]:
    """Upcoming, not cancelled, and no talk holds them: open for a speaker."""
    held = Talk.objects.filter(session=OuterRef("pk"), status__in=Talk.HOLDING)
    sessions = Session.objects.filter(status=Session.Status.SCHEDULED, start__gt=timezone.now()).exclude(Exists(held))
    if series is not None:
        sessions = sessions.filter(series=series)
    return sessions.select_related("series").order_by("start")


def archive(*, series: SeminarSeries) -> list[tuple[int, list[Talk]]]:
    """Talks given, by year (on the series' calendar), newest first."""
    talks = list(
        Talk.objects.filter(
            session__series=series,
            status=Talk.Status.CONFIRMED,
            session__in=Session.objects.past().exclude(status=Session.Status.CANCELLED),
        )
        .select_related("session__series", "speaker", "paper")
        .order_by("-session__start")
    )
    years: dict[int, list[Talk]] = {}
    for talk in talks:
        years.setdefault(timezone.localtime(talk.session.start, series.zone).year, []).append(talk)
    return list(years.items())


def speaker_talks(*, speaker) -> QuerySet[Talk]:
    return (
        Talk.objects.filter(speaker=speaker)
        .exclude(status=Talk.Status.CANCELLED)
        .select_related("session__series", "paper")
        .order_by("-session__start")
    )


def reader_rsvps(*, user) -> QuerySet[RSVP]:
    return (
        RSVP.objects.filter(user=user, session__in=Session.objects.upcoming())
        .exclude(status=RSVP.Status.CANCELLED)
        .select_related("session__series")
        .order_by("session__start")
    )


def catalogue_choices(query: str, *, limit: int = PAPER_CHOICES) -> list[Paper]:
    """Papers to pick for a talk: an arXiv id goes straight to its paper, words search titles and abstracts."""
    query = clean(query)[:200]  # NUL would make PostgreSQL refuse the query
    if not query:
        return []
    papers = Paper.objects.visible()
    if " " not in query:
        try:
            arxiv_id, _ = split_arxiv_id(query)
        except InvalidRecord:
            pass
        else:
            return list(papers.filter(arxiv_id=arxiv_id))
    search = SearchQuery(query, search_type="websearch", config="english")
    return list(
        papers.filter(search_vector=search)
        .annotate(rank=SearchRank("search_vector", search))
        .order_by("-rank", "-announced")[:limit]
    )


def word_cloud(key: str) -> dict | None:
    """What a page shows of a cloud (image, alt text, terms), from the cache: the digest page costs no query."""
    shown = cache.get(cache_key(WORD_CLOUD_CACHE, key))
    if shown is None:
        cloud = WordCloud.objects.filter(key=key).exclude(image="").first()
        shown = {"image": cloud.image, "alt_text": cloud.alt_text, "terms": cloud.terms[:8]} if cloud else {}
        cache.set(cache_key(WORD_CLOUD_CACHE, key), shown, timeout=CLOUD_CACHE_SECONDS)
    return shown or None
