"""The review queue: a week's papers with what the rule, the readers and the model say about them."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from apps.digests.models import Decision, Digest, Pin
from apps.papers.models import Paper
from apps.papers.relevance import current_rule, relevance_reason
from apps.papers.weeks import Week
from apps.recommendations.models import Interaction
from apps.recommendations.selectors import mean_reader_scores

UNDECIDED = "undecided"
STATUSES = [UNDECIDED, Decision.Verdict.ACCEPT, Decision.Verdict.REJECT]
SORTS = {
    "newest": ("-announced", "-arxiv_id"),
    "likes": ("-likes", "-saves", "-announced"),
    "saves": ("-saves", "-likes", "-announced"),
    "title": ("title",),
}
SCORE_SORT = "score"


@dataclass
class QueueRow:
    paper: Paper
    verdict: str  # UNDECIDED, "accept" or "reject"
    rule: str | None  # why the relevance rule keeps it, None: the rule would leave it out
    likes: int
    saves: int
    score: float | None  # the active model's mean score over readers
    picked: bool


def categories() -> list[str]:
    return current_rule().categories


def week_papers(week: Week) -> QuerySet[Paper]:
    return Paper.objects.visible().filter(announced__range=(week.monday, week.sunday))


def review_queue(
    *, week: Week, category: str = "", status: str = "", q: str = "", sort: str = "newest"
) -> list[QueueRow]:
    """The week's papers, filtered and sorted. One query for the papers with their counts and verdicts,
    one for the picks, one for the model's scores."""
    verdicts = Decision.objects.filter(week=week.monday)
    papers = week_papers(week).annotate(
        likes=Count("interactions", filter=Q(interactions__kind=Interaction.Kind.LIKE)),
        saves=Count("interactions", filter=Q(interactions__kind=Interaction.Kind.SAVE)),
    )
    if category:
        papers = papers.filter(categories__contains=[category])
    if q:
        papers = papers.filter(
            Q(title__icontains=q) | Q(abstract__icontains=q) | Q(arxiv_id=q) | Q(authors_text__icontains=q)
        )
    if status == UNDECIDED:
        papers = papers.exclude(id__in=verdicts.values("paper_id"))
    elif status in Decision.Verdict.values:
        papers = papers.filter(id__in=verdicts.filter(verdict=status).values("paper_id"))
    papers = list(papers.order_by(*SORTS.get(sort, SORTS["newest"])))
    ids = [paper.id for paper in papers]
    decided = dict(verdicts.filter(paper_id__in=ids).values_list("paper_id", "verdict"))
    picked = set(Pin.objects.filter(week=week.monday, paper_id__in=ids).values_list("paper_id", flat=True))
    scores = mean_reader_scores(paper_ids=ids)
    rule = current_rule()
    rows = [
        QueueRow(
            paper=paper,
            verdict=decided.get(paper.id, UNDECIDED),
            rule=relevance_reason(title=paper.title, abstract=paper.abstract, categories=paper.categories, rule=rule),
            likes=paper.likes,
            saves=paper.saves,
            score=scores.get(paper.id),
            picked=paper.id in picked,
        )
        for paper in papers
    ]
    if sort == SCORE_SORT:
        rows.sort(key=lambda row: (row.score is None, -(row.score or 0)))
    return rows


@dataclass
class WeekSummary:
    week: Week
    digest: Digest | None
    papers: int
    accepted: int
    rejected: int
    picks: list[Pin]

    @property
    def is_published(self) -> bool:
        return self.digest is not None and self.digest.is_published

    @property
    def undecided(self) -> int:
        return self.papers - self.accepted - self.rejected


def week_summary(week: Week) -> WeekSummary:
    ids = week_papers(week).values("id")
    counts = Decision.objects.filter(week=week.monday, paper_id__in=ids).aggregate(
        accepted=Count("id", filter=Q(verdict=Decision.Verdict.ACCEPT)),
        rejected=Count("id", filter=Q(verdict=Decision.Verdict.REJECT)),
    )
    return WeekSummary(
        week=week,
        digest=Digest.objects.filter(week=week.monday).select_related("published_by").first(),
        papers=week_papers(week).count(),
        accepted=counts["accepted"],
        rejected=counts["rejected"],
        picks=list(Pin.objects.filter(week=week.monday).select_related("paper").order_by("order", "id")),
    )
