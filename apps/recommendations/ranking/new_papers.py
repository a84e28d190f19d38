""" "New for you": the few papers no reader has touched yet, ranked for one reader from their text alone.

A paper nobody has read has no collaborative signal: the model never saw it read, so the main ranking
scores it from its text plus the lift validation chose (recsys/cold.py), which may keep it off the page
altogether. This slot is what guarantees such papers are seen: the papers without any interaction from
any reader, nearest the reader's text profile (the unit mean of their liked or saved papers' vectors,
as the lift reads it), through the text vectors' index, within the page's window and never the
reader's dismissed papers or those the page already shows.

Like the rankings (ranking/__init__.py) it never fails a page: without an active text model, a profile
or vectors it is empty, and an error is logged and leaves it empty.
"""

import logging

import numpy as np
from django.db.models import Q

from apps.embeddings.selectors import active_model, nearest_papers, paper_vectors
from apps.recommendations.models import Interaction
from apps.recommendations.ranking.base import Ranked
from apps.recommendations.ranking.content import DID, HISTORY, liked_titles
from apps.recommendations.selectors import dismissed_paper_ids, positive_papers
from recsys.cold import text_profile

logger = logging.getLogger(__name__)

NEW_FOR_YOU = 4  # cards in the slot: a glance, beside the page's twenty


def untouched() -> Q:
    """Papers no reader has interacted with: none can have been read in any model's training."""
    return ~Q(id__in=Interaction.objects.values("paper_id"))


def new_for_you(*, user, paper_filter: Q, exclude=(), limit: int = NEW_FOR_YOU) -> list[Ranked]:
    """Up to `limit` untouched papers in the window, nearest the reader's text profile first; each with
    its cosine to the profile and the liked paper it is closest to. Empty when nothing qualifies."""
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
    profile = text_profile(np.stack(list(liked.values())))
    window = paper_filter & untouched() & ~Q(id__in=dismissed_paper_ids(user=user)) & ~Q(id__in=exclude)
    found = nearest_papers(vector=profile, model_name=model.name, limit=limit, paper_filter=window)
    if not found:
        return []
    why = _closest_liked(history, liked, [paper_id for paper_id, _ in found], model.name)
    return [Ranked(paper_id, 1.0 - distance, why[paper_id]) for paper_id, distance in found]


def _closest_liked(history: dict[int, str], liked: dict[int, np.ndarray], paper_ids, text_model: str):
    """{paper id: "New — close to “<title>”, which you liked"}: the liked paper nearest each one."""
    vectors = paper_vectors(paper_ids=paper_ids, model_name=text_model)
    liked_ids = list(liked)
    similarity = np.stack([vectors[pid] for pid in paper_ids]) @ np.stack(list(liked.values())).T  # (n, m)
    titles = liked_titles(liked_ids)
    why = {}
    for paper_id, j in zip(paper_ids, similarity.argmax(axis=1).tolist(), strict=True):
        closest = liked_ids[j]
        why[paper_id] = f"New — close to “{titles.get(closest, 'a paper')}”, which you {DID[history[closest]]}"
    return why
