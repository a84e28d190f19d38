import numpy as np

from apps.embeddings.selectors import active_model, paper_vectors
from apps.papers.models import Paper
from apps.recommendations.ranking.base import Ranked
from apps.recommendations.selectors import positive_papers

DID = {"like": "liked", "save": "saved", "present": "presented"}
HISTORY = 50
# Text cosine (all-MiniLM-L6-v2) above which two papers are close enough to say so. In the bundled
# sample a paper's nearest neighbour scores 0.57-0.75 (10th-90th percentile), and 90% of random pairs,
# all RecSys/IR papers, score under 0.54.
MIN_REASON_SIMILARITY = 0.55
HUB_PENALTY = 0.5


def history_matrix(history: dict[int, str], vectors: dict[int, np.ndarray]) -> tuple[list[int], np.ndarray | None]:
    liked = [pid for pid in history if pid in vectors]
    return liked, (np.stack([vectors[pid] for pid in liked]) if liked else None)  # (m, d), unit rows


def liked_titles(liked) -> dict[int, str]:
    return dict(Paper.objects.filter(id__in=liked).values_list("id", "title"))


def reasons_for(
    candidates: list[int], liked: list[int], history: dict[int, str], similarity: np.ndarray, titles: dict[int, str]
) -> dict[int, str]:
    """'Similar to X, which you saved': the liked paper that best explains each candidate, if one does.

    similarity: (n candidates, m liked) cosines. A paper never explains itself. One broad paper the
    reader liked is close to everything and would explain every card, so each liked paper's mean
    similarity to the candidates is taken off before choosing (hubness reduction, as CSLS does); the
    chosen one must still be close in absolute terms, or the card makes no claim at all.
    """
    position = {pid: j for j, pid in enumerate(liked)}
    similarity = similarity.copy()
    for i, pid in enumerate(candidates):
        if pid in position:
            similarity[i, position[pid]] = -np.inf
    finite = np.where(np.isfinite(similarity), similarity, np.nan)
    hub = np.nan_to_num(np.nanmean(finite, axis=0)) if len(candidates) > 1 else np.zeros(len(liked))  # (m,)
    best = np.argmax(similarity - HUB_PENALTY * hub, axis=1)  # (n,)
    close = (similarity[np.arange(len(candidates)), best] >= MIN_REASON_SIMILARITY).tolist()  # (n,)
    reasons = {}
    for pid, j, is_close in zip(candidates, best.tolist(), close, strict=True):
        if is_close:
            reasons[pid] = f"Similar to “{titles[liked[j]]}”, which you {DID[history[liked[j]]]}"
        elif pid in position:
            reasons[pid] = f"You {DID[history[pid]]} this paper"
        else:
            reasons[pid] = ""
    return reasons


def closest_liked_reasons(*, user, paper_ids: list[int], text_model: str) -> dict[int, str]:
    history = positive_papers(user=user, limit=HISTORY)
    vectors = paper_vectors(paper_ids=[*history, *paper_ids], model_name=text_model)
    return reasons_from(history, vectors, paper_ids)


def reasons_from(history: dict[int, str], vectors: dict[int, np.ndarray], paper_ids: list[int]) -> dict[int, str]:
    """closest_liked_reasons with the reader's history and the text vectors (liked and candidates) already read."""
    liked, liked_matrix = history_matrix(history, vectors)
    candidates = [pid for pid in paper_ids if pid in vectors]
    if liked_matrix is None or not candidates:
        return {}
    similarity = np.stack([vectors[pid] for pid in candidates]) @ liked_matrix.T
    return reasons_for(candidates, liked, history, similarity, liked_titles(liked))


def content_ranking(*, user, paper_ids: list[int]) -> list[Ranked] | None:
    """Cosine similarity of each paper's text vector to the mean of what the reader liked or saved.

    The reason names the liked paper that best explains each one. None when the reader has no positive
    history or none of the papers has a vector yet.
    """
    model = active_model()
    history = positive_papers(user=user, limit=HISTORY)
    if model is None or not history:
        return None
    vectors = paper_vectors(paper_ids=[*history, *paper_ids], model_name=model.name)
    liked, liked_matrix = history_matrix(history, vectors)
    if liked_matrix is None:
        return None
    candidates = [pid for pid in paper_ids if pid in vectors]
    if paper_ids and not candidates:
        return None  # none of these papers is embedded yet: nothing to rank by similarity
    ranked: list[Ranked] = []
    if candidates:
        candidate_matrix = np.stack([vectors[pid] for pid in candidates])  # (n, d)
        profile = liked_matrix.mean(axis=0)
        scores = candidate_matrix @ (profile / (np.linalg.norm(profile) or 1.0))  # (n,)
        reasons = reasons_for(candidates, liked, history, candidate_matrix @ liked_matrix.T, liked_titles(liked))
        ranked = [
            Ranked(candidates[i], float(scores[i]), reasons[candidates[i]]) for i in np.argsort(-scores, kind="stable")
        ]
    # Papers not embedded yet still show, after the rest, rather than vanish from the digest.
    return ranked + [Ranked(pid, float("-inf")) for pid in paper_ids if pid not in vectors]
