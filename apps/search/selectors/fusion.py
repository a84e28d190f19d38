from collections.abc import Sequence

# The constant from Cormack et al. (2009): it damps the head of each list so that agreement between
# lists counts for more than a single first place.
RRF_K = 60


def reciprocal_rank_fusion(*rankings: Sequence[int], k: int = RRF_K) -> list[int]:
    """Ids ordered by the sum of 1 / (k + rank) over the rankings they appear in (rank from 1)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    # Ties keep the order of first appearance, so the first ranking breaks them.
    return sorted(scores, key=lambda item: -scores[item])
