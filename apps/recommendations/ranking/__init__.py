"""Ranking a set of papers for a reader, from the best signal available down to the plainest.

The active two-tower model (reader vector x item vectors), else content similarity to what the reader
liked or saved, else popularity and recency. A ranker that has nothing to say returns None, and one that
fails is logged and skipped: a reader always gets a page, never a 500.
"""

import logging
from collections.abc import Callable

from apps.recommendations.ranking.base import Ranked
from apps.recommendations.ranking.popular import popularity_ranking

logger = logging.getLogger(__name__)

Ranker = Callable[..., list[Ranked] | None]


def personal_rankers() -> list[Ranker]:
    """Tried in order for a signed-in reader."""
    from apps.recommendations.ranking.content import content_ranking
    from apps.recommendations.ranking.two_tower import two_tower_ranking

    return [two_tower_ranking, content_ranking]


def rank_for_reader(*, user, paper_ids: list[int]) -> tuple[list[Ranked], str]:
    """The papers best first, each with a one-line reason, and the name of the method that ranked them."""
    if user.is_authenticated:
        for ranker in personal_rankers():
            try:
                ranked = ranker(user=user, paper_ids=paper_ids)
            except Exception:
                logger.exception("Ranking with %s failed; falling back", ranker.__name__)
                continue
            if ranked is not None:
                return ranked, ranker.__name__.removesuffix("_ranking")
    return popularity_ranking(paper_ids=paper_ids), "popularity"


__all__ = ["Ranked", "rank_for_reader"]
