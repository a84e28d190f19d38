import numpy as np

from apps.embeddings.selectors import active_model, paper_vectors
from apps.papers.models import Paper
from apps.recommendations.ranking.base import Ranked
from apps.recommendations.selectors import positive_papers

DID = {"like": "liked", "save": "saved", "present": "presented"}
HISTORY = 50


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
    liked = [pid for pid in history if pid in vectors]
    candidates = [pid for pid in paper_ids if pid in vectors]
    if not liked:
        return None
    liked_matrix = np.stack([vectors[pid] for pid in liked])  # (m, d), unit rows
    profile = liked_matrix.mean(axis=0)
    profile /= np.linalg.norm(profile) or 1.0
    ranked: list[Ranked] = []
    if candidates:
        candidate_matrix = np.stack([vectors[pid] for pid in candidates])  # (n, d)
        scores = candidate_matrix @ profile  # (n,)
        closest = (candidate_matrix @ liked_matrix.T).argmax(axis=1)  # (n,) index into liked
        titles = dict(Paper.objects.filter(id__in=liked).values_list("id", "title"))
        for i in np.argsort(-scores, kind="stable"):
            source = liked[closest[i]]
            reason = f"Similar to “{titles[source]}”, which you {DID[history[source]]}"
            ranked.append(Ranked(candidates[i], float(scores[i]), reason))
    # Papers not embedded yet still show, after the rest, rather than vanish from the digest.
    ranked += [Ranked(pid, float("-inf")) for pid in paper_ids if pid not in vectors]
    return ranked
