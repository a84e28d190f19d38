from apps.recommendations.ranking.base import Ranked
from apps.recommendations.selectors import most_liked_first


def popularity_ranking(*, paper_ids: list[int]) -> list[Ranked]:
    """What other readers found useful first, then the newest: the ranking of last resort."""
    return [
        Ranked(paper_id, float(score), f"{score} reader{'s' if score > 1 else ''} liked or saved it" if score else "")
        for paper_id, score in most_liked_first(paper_ids=paper_ids)
    ]
