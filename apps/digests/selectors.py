"""Reads behind the digest pages: a week's papers, the editors' picks first, the rest ranked.

How a week looks to readers: its papers ranked for them, less the ones editors rejected for the week,
from the first day (a draft week is still served: papers arrive daily). The editors' picks with their
notes appear once the week is published, as frozen at publish; editors preview the draft's live picks.
"""
import datetime as dt
from dataclasses import dataclass

from django.db.models.functions import TruncWeek

from apps.digests import models
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
    papers = (
        Paper.objects.visible().filter(announced__range=(week.monday, week.sunday))
        .exclude(id__in=rejected_paper_ids(week))
    )
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


def digest_record(week: Week) -> "models.Digest | None":
    return models.Digest.objects.filter(week=week.monday).first()


def week_revision(week: Week) -> int:
    """Changes whenever what readers see of the week changes (picks, decisions, publishing): a cache key part."""
    return models.Digest.objects.filter(week=week.monday).values_list("revision", flat=True).first() or 0


def rejected_paper_ids(week: Week):
    return models.Decision.objects.filter(week=week.monday, verdict=models.Decision.Verdict.REJECT).values("paper_id")


def week_picks(week: Week, *, draft: bool = False) -> list[tuple[int, str]]:
    """(paper id, note) in order: as frozen at publish; the live, unpublished picks only when `draft`."""
    digest = digest_record(week)
    if digest is not None and digest.is_published:
        return [(pick["paper"], pick["note"]) for pick in digest.picks]
    if draft:
        return list(models.Pin.objects.filter(week=week.monday).order_by("order", "id").values_list("paper_id", "note"))
    return []


def digest_for_reader(*, user, week: Week, page: int = 1, draft: bool = False) -> DigestPage:
    """The week's papers for this reader (anonymous readers get the editors' order and popularity).

    Picks come first whenever their papers were announced (an older classic shows in the week it is
    pinned to); `draft` shows an unpublished week's picks (the editors' preview). A fixed number of
    queries whatever the number of papers: the papers, the picks, the reader's dismissals (a subquery)
    and button states, the ranking, trending and the neighbouring weeks.
    """
    papers = {paper.id: paper for paper in _week_papers(week, user)}
    picks = week_picks(week, draft=draft)
    pinned = {paper_id for paper_id, _ in picks}  # never ranked again below, on any page
    picks = picks if page == 1 else []
    picked = Paper.objects.visible().only(*CARD_FIELDS)
    if user.is_authenticated:
        picked = picked.exclude(id__in=dismissed_paper_ids(user=user))
    picked = picked.in_bulk({pid for pid, _ in picks} - papers.keys())
    picks = [(pid, note, papers.get(pid) or picked.get(pid)) for pid, note in picks]
    picks = [(pid, note, paper) for pid, note, paper in picks if paper is not None]  # withdrawn since
    ranked, method = rank_for_reader(user=user, paper_ids=[pid for pid in papers if pid not in pinned])
    shown = ranked[(page - 1) * CARDS_PER_PAGE : page * CARDS_PER_PAGE]
    states = reader_states(user=user, paper_ids=[pid for pid, _, _ in picks] + [r.paper_id for r in shown])
    visible = Paper.objects.visible()
    return DigestPage(
        week=week,
        picks=[Card(paper, note=note, states=states[pid]) for pid, note, paper in picks],
        cards=[Card(papers[r.paper_id], reason=r.reason, states=states[r.paper_id]) for r in shown],
        total=len(ranked),
        page=page,
        trending=trending_papers(start=_midnight(week.monday), end=_midnight(week.next.monday)),
        method=method,
        previous=_neighbour(visible, week, later=False),
        next=_neighbour(visible, week, later=True),
    )
