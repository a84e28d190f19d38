"""Editors' verdicts on papers for a week: accept, reject, or back to undecided. Reversible, kept as data."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.digests.models import Decision
from apps.digests.services.weeks import week_changed_record
from apps.papers.models import Paper
from apps.papers.weeks import Week

UNKNOWN_PAPERS = "Unknown papers: {ids}."


@transaction.atomic
def decisions_set(
    *, week: Week, paper_ids: list[int], verdict: str | None, by
) -> dict[int, tuple[str | None, str | None]]:
    """Give each paper `verdict` for `week` (None: undecided again). Returns {paper id: (before, after)}
    for the papers whose verdict changed; unchanged ones cost nothing and send nothing.

    Rejected papers leave the week's digest for everyone; they stay in the catalogue.
    """
    if verdict is not None and verdict not in Decision.Verdict.values:
        raise ValidationError(f"Not a verdict: {verdict!r}.")
    paper_ids = list(dict.fromkeys(paper_ids))
    missing = set(paper_ids) - set(Paper.objects.filter(pk__in=paper_ids).values_list("pk", flat=True))
    if missing:
        raise ValidationError(UNKNOWN_PAPERS.format(ids=", ".join(map(str, sorted(missing)))))
    current = dict(
        Decision.objects.select_for_update()
        .filter(week=week.monday, paper_id__in=paper_ids)
        .values_list("paper_id", "verdict")
    )
    changes = {pid: (current.get(pid), verdict) for pid in paper_ids if current.get(pid) != verdict}
    if not changes:
        return {}
    if verdict is None:
        Decision.objects.filter(week=week.monday, paper_id__in=list(changes)).delete()
    else:
        now = timezone.now()
        Decision.objects.bulk_create(
            [
                Decision(week=week.monday, paper_id=pid, verdict=verdict, decided_by=by, decided_at=now)
                for pid in changes
            ],
            update_conflicts=True,
            unique_fields=["week", "paper"],
            update_fields=["verdict", "decided_by", "decided_at"],
        )
    week_changed_record(week=week)
    return changes
