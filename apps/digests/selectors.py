"""Reads behind the digest pages: a week's papers, the editors' picks first, the rest ranked."""
import datetime as dt
from dataclasses import dataclass

from django.db.models.functions import TruncWeek

from apps.digests.models import Pin
from apps.papers.weeks import Week
from apps.papers.models import Paper
from apps.recommendations.ranking import rank_for_reader
from apps.recommendations.selectors import Card, dismissed_paper_ids, reader_states, trending_papers

CARD_FIELDS = [
    "id", "arxiv_id", "version", "title", "abstract", "authors_text", "primary_category", "categories",
    "announced", "comment",
]


CARDS_PER_PAGE = 40
METHOD_LABELS = {
    "two_tower": "by the retriever, from your reading history",
    "content": "by similarity to what you liked and saved",
    "popularity": "by what other readers liked, newest first",
}


@dataclass
class Digest:
    week: Week
    picks: list[Card]
    cards: list[Card]  # this page's share of the ranked papers
    total: int  # ranked papers in the whole week
    page: int
    trending: list[Paper]
    method: str
    previous: Week | None
    next: Week | None

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page * CARDS_PER_PAGE < self.total else None


def digest_weeks() -> list[Week]:
    """Every week that has papers, newest first (the archive)."""
    mondays = (
        Paper.objects.visible().annotate(week=TruncWeek("announced")).values_list("week", flat=True)
        .distinct().order_by("-week")
    )
    return [Week(monday) for monday in mondays]


def latest_week() -> Week | None:
    newest = Paper.objects.visible().order_by("-announced").values_list("announced", flat=True).first()
    return Week.containing(newest) if newest else None


def _week_papers(week: Week, user):
    papers = Paper.objects.visible().filter(announced__range=(week.monday, week.sunday))
    if user.is_authenticated:
        papers = papers.exclude(id__in=dismissed_paper_ids(user=user))
    return papers.only(*CARD_FIELDS)


def _neighbour(papers, week: Week, *, later: bool) -> Week | None:
    if later:
        day = papers.filter(announced__gt=week.sunday).order_by("announced").values_list("announced", flat=True).first()
    else:
        day = papers.filter(announced__lt=week.monday).order_by("-announced").values_list("announced", flat=True).first()
    return Week.containing(day) if day else None


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.timezone.utc)


def digest_for_reader(*, user, week: Week, page: int = 1) -> Digest:
    """The week's papers for this reader (anonymous readers get the editors' order and popularity).

    A fixed number of queries whatever the number of papers: the papers, the picks, the reader's
    dismissals (a subquery) and button states, the ranking, trending and the neighbouring weeks.
    """
    papers = {paper.id: paper for paper in _week_papers(week, user)}
    pins = [pin for pin in Pin.objects.filter(week=week.monday).order_by("order", "id") if pin.paper_id in papers]
    pinned = {pin.paper_id for pin in pins}
    ranked, method = rank_for_reader(user=user, paper_ids=[pid for pid in papers if pid not in pinned])
    shown = ranked[(page - 1) * CARDS_PER_PAGE : page * CARDS_PER_PAGE]
    pins = pins if page == 1 else []
    states = reader_states(user=user, paper_ids=[pin.paper_id for pin in pins] + [r.paper_id for r in shown])
    visible = Paper.objects.visible()
    return Digest(
        week=week,
        picks=[Card(papers[pin.paper_id], note=pin.note, states=states[pin.paper_id]) for pin in pins],
        cards=[Card(papers[r.paper_id], reason=r.reason, states=states[r.paper_id]) for r in shown],
        total=len(ranked),
        page=page,
        trending=trending_papers(start=_midnight(week.monday), end=_midnight(week.next.monday)),
        method=method,
        previous=_neighbour(visible, week, later=False),
        next=_neighbour(visible, week, later=True),
    )
