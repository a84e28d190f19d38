import numpy as np

from apps.embeddings.selectors import active_model, paper_vectors
from apps.papers.models import Paper
from apps.recommendations.ranking.base import Ranked
from apps.recommendations.selectors import positive_papers

DID = {"like": "liked", "save": "saved", "present": "presented"}
HISTORY = 50


def _history_matrix(history: dict[int, str], vectors: dict[int, np.ndarray]) -> tuple[list[int], np.ndarray | None]:
    liked = [pid for pid in history if pid in vectors]
    return liked, (np.stack([vectors[pid] for pid in liked]) if liked else None)  # (m, d), unit rows


def _reasons(candidates: list[int], liked: list[int], history: dict[int, str], similarity: np.ndarray) -> dict[int, str]:
    """'Similar to X, which you saved': the liked paper each candidate is closest to."""
    titles = dict(Paper.objects.filter(id__in=liked).values_list("id", "title"))
    closest = similarity.argmax(axis=1)
    return {pid: f"Similar to “{titles[liked[j]]}”, which you {DID[history[liked[j]]]}" for pid, j in zip(candidates, closest)}


def closest_liked_reasons(*, user, paper_ids: list[int], text_model: str) -> dict[int, str]:
    history = positive_papers(user=user, limit=HISTORY)
    vectors = paper_vectors(paper_ids=[*history, *paper_ids], model_name=text_model)
    liked, liked_matrix = _history_matrix(history, vectors)
    candidates = [pid for pid in paper_ids if pid in vectors]
    if liked_matrix is None or not candidates:
        return {}
    return _reasons(candidates, liked, history, np.stack([vectors[pid] for pid in candidates]) @ liked_matrix.T)


def content_ranking(*, user, paper_ids: list[int]) -> list[Ranked] | None:
    """Cosine similarity of each paper's text vector to the mean of what the reader liked or saved.

    The reason names the liked paper each one is closest to. None when the reader has no positive
    history or there are no vectors yet.
    """
    model = active_model()
    history = positive_papers(user=user, limit=HISTORY)
    if model is None or not history:
        return None
    vectors = paper_vectors(paper_ids=[*history, *paper_ids], model_name=model.name)
    liked, liked_matrix = _history_matrix(history, vectors)
    if liked_matrix is None:
        return None
    candidates = [pid for pid in paper_ids if pid in vectors]
    ranked: list[Ranked] = []
    if candidates:
        candidate_matrix = np.stack([vectors[pid] for pid in candidates])  # (n, d)
        profile = liked_matrix.mean(axis=0)
        scores = candidate_matrix @ (profile / (np.linalg.norm(profile) or 1.0))  # (n,)
        reasons = _reasons(candidates, liked, history, candidate_matrix @ liked_matrix.T)
        ranked = [Ranked(candidates[i], float(scores[i]), reasons[candidates[i]]) for i in np.argsort(-scores, kind="stable")]
    # Papers not embedded yet still show, after the rest, rather than vanish from the digest.
    return ranked + [Ranked(pid, float("-inf")) for pid in paper_ids if pid not in vectors]
