"""The review queue: a week's papers with what the relevance gate, the readers and the model say about them."""

from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Q, QuerySet

from apps.digests.models import Decision, Digest, Pin
from apps.embeddings.selectors import paper_vectors
from apps.papers.models import Paper
from apps.papers.relevance import current_classifier, current_rule, relevance_reason
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
RELEVANCE_SORT = "relevance"


@dataclass
class QueueRow:
    paper: Paper
    verdict: str  # UNDECIDED, "accept" or "reject"
    rule: str | None  # why the relevance rule keeps it, None: the rule would leave it out
    likes: int
    saves: int
    score: float | None  # the active model's mean score over readers
    picked: bool
    relevance: float | None = None  # the gate's classifier: p(of interest); None: no text vector yet


def gate_threshold() -> float | None:
    """The probability the ingestion gate keeps papers from; None when the keyword rule is the gate."""
    classifier = current_classifier()
    return None if classifier is None else classifier.threshold


def relevance_probabilities(paper_ids: list[int]) -> dict[int, float]:
    """{paper id: the gate classifier's probability} from stored text vectors of the classifier's own
    text model, so the queue never encodes anything; papers without such a vector are left out."""
    classifier = current_classifier()
    if classifier is None:
        return {}
    vectors = paper_vectors(paper_ids=paper_ids, model_name=classifier.text_model)
    if not vectors:
        return {}
    ids = list(vectors)
    probabilities = classifier.probability(np.stack([vectors[paper_id] for paper_id in ids]))  # (n,)
    return dict(zip(ids, probabilities.tolist()))


def categories() -> list[str]:
    return current_rule().categories


def week_papers(week: Week) -> QuerySet[Paper]:
    return Paper.objects.visible().filter(announced__range=(week.monday, week.sunday))


def review_queue(
    *, week: Week, category: str = "", status: str = "", q: str = "", sort: str = "newest"
) -> list[QueueRow]:
    """The week's papers, filtered and sorted. One query for the papers with their counts and verdicts,
    one for the picks, one for the model's scores, one for the text vectors."""
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
    relevance = relevance_probabilities(ids)
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
            relevance=relevance.get(paper.id),
        )
        for paper in papers
    ]
    if sort == SCORE_SORT:
        rows.sort(key=lambda row: (row.score is None, -(row.score or 0)))
    elif sort == RELEVANCE_SORT:
        rows.sort(key=lambda row: (row.relevance is None, -(row.relevance or 0)))
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
