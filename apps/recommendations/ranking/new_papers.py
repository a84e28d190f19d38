""" "New for you": the few papers no reader has touched yet, ranked for one reader from their text alone.

A paper nobody has read has no collaborative signal: the model never saw it read, so the main ranking
scores it from its text plus the lift validation chose (recsys/cold.py), which may keep it off the page
altogether. This slot is what guarantees such papers are seen: the papers without any interaction from
any reader, nearest the reader's text profile (the unit mean of their liked or saved papers' vectors,
as the lift reads it), through the text vectors' index (exactly where the window is narrow or the
walk comes back short: nearest_papers), within the page's window and never the reader's dismissed
papers or those the page already shows. Each names the liked paper it is like when one is close, as
every card does (content.reasons_for).

Like the rankings (ranking/__init__.py) it never fails a page: without an active text model, a profile
or vectors it is empty, and an error is logged and leaves it empty.
"""

import logging

import numpy as np
from django.db.models import Exists, OuterRef, Q

from apps.embeddings.selectors import active_model, nearest_papers, paper_vectors
from apps.recommendations.models import Interaction
from apps.recommendations.ranking.base import Ranked
from apps.recommendations.ranking.content import HISTORY, reasons_from
from apps.recommendations.selectors import positive_papers
from recsys.cold import text_profile

logger = logging.getLogger(__name__)

NEW_FOR_YOU = 4  # cards in the slot: a glance, beside the page's twenty


def untouched() -> Q:
    """Papers no reader has interacted with: none can have been read in any model's training.

    NOT EXISTS, answered from the interactions' index on the paper for each paper the walk reaches: NOT IN
    would read and hash every interaction on every request (docs/benchmarks.md, "New for you").
    """
    return ~Q(Exists(Interaction.objects.filter(paper=OuterRef("pk"))))


def new_for_you(*, user, paper_filter: Q, exclude=(), limit: int = NEW_FOR_YOU) -> list[Ranked]:
    """Up to `limit` untouched papers in the window, nearest the reader's text profile first; each with
    its cosine to the profile and, when one is close, the liked paper it is most like (the reason every
    card on the site gives, content.reasons_for). Empty when nothing qualifies."""
    if not user.is_authenticated:
        return []
    try:
        return _nearest_untouched(user=user, paper_filter=paper_filter, exclude=list(exclude), limit=limit)
    except Exception:
        logger.exception("Ranking the new papers failed; the slot stays empty")
        return []


def _nearest_untouched(*, user, paper_filter: Q, exclude: list[int], limit: int) -> list[Ranked]:
    model = active_model()
    history = positive_papers(user=user, limit=HISTORY)
    if model is None or not history:
        return []
    liked = paper_vectors(paper_ids=list(history), model_name=model.name)
    if not liked:
        return []
    # The reader's dismissals are interactions too: untouched() leaves them out.
    window = paper_filter & untouched() & ~Q(id__in=exclude)
    found = nearest_papers(
        vector=text_profile(np.stack(list(liked.values()))),
        model_name=model.name,
        limit=limit,
        paper_filter=window,
        with_vectors=True,
    )
    found_ids = [paper_id for paper_id, _, _ in found]
    reasons = reasons_from(history, {**liked, **{paper_id: vector for paper_id, _, vector in found}}, found_ids)
    return [Ranked(paper_id, 1.0 - distance, reasons.get(paper_id, "")) for paper_id, distance, _ in found]
