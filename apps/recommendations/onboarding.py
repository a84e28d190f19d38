"""Cold start: a new reader picks topics, then rates a small sample of real papers from those topics.

The sample is representative and diverse within each chosen topic: the topic's papers (those near its
description) are clustered, and each cluster is shown by its medoid, the paper most like the others in
it, biggest clusters first. (Farthest-point sampling, used before, picked outliers: biomedical entity
linking for "Sequential + LLMs".) Without vectors yet, recent papers from as many categories as possible
stand in.
"""

from itertools import zip_longest

import numpy as np
from sklearn.cluster import KMeans

from apps.embeddings.selectors import EncoderUnavailable, active_model, encoder_for, nearest_papers, paper_vectors
from apps.papers.models import Paper
from apps.recommendations.models import Interaction

MIN_RATINGS = 5
SAMPLE_SIZE = 12
CANDIDATES_PER_TOPIC = 40
# A topic's description is a short query: the cut that search uses for matches by meaning (calibrated
# for all-MiniLM-L6-v2 in docs/search.md) keeps a topic's candidates on the topic.
MIN_TOPIC_SIMILARITY = 0.25
TOO_FEW_RATINGS = f"Rate at least {MIN_RATINGS} papers so your first digest can be personal."

# (key, label, what it is about: the text embedded to find candidates)
TOPICS = [
    (
        "sequential",
        "Sequential & session-based recommendation",
        "sequential recommendation next-item prediction session-based transformers",
    ),
    (
        "ctr",
        "CTR prediction & ranking models",
        "click-through rate prediction ranking model feature interactions advertising",
    ),
    ("llm", "LLMs for recommendation", "large language models for recommendation generative recommender"),
    ("retrieval", "Retrieval, RAG & dense search", "dense retrieval retrieval-augmented generation embeddings search"),
    ("graph", "Graph-based recommendation", "graph neural networks collaborative filtering user-item graph"),
    (
        "evaluation",
        "Evaluation, metrics & reproducibility",
        "evaluation of recommender systems offline metrics reproducibility benchmarks",
    ),
    ("fairness", "Fairness, bias & popularity", "fairness popularity bias exposure debiasing recommendation"),
    (
        "conversational",
        "Conversational & interactive",
        "conversational recommender system dialogue user preference elicitation",
    ),
    ("multimodal", "Multimodal & content-based", "multimodal recommendation images text content features"),
    (
        "efficiency",
        "Efficiency & systems",
        "efficient serving training large-scale recommendation systems embedding compression",
    ),
]
TOPIC_KEYS = {key for key, _, _ in TOPICS}


def rated_count(*, user) -> int:
    return Interaction.objects.filter(
        user=user, source=Interaction.Source.ONBOARDING, kind__in=Interaction.STATES
    ).count()


def medoids(vectors: np.ndarray, k: int) -> list[int]:
    """Row indices of the medoids of k clusters of unit `vectors`, biggest cluster first.

    A medoid is the member with the highest total cosine similarity to its cluster: a typical paper of
    the cluster, never a stray one. Singleton clusters (outliers) come last.
    """
    k = min(k, len(vectors))
    if k <= 1:
        return [int(np.argmax((vectors @ vectors.T).sum(1)))] if len(vectors) else []
    labels = KMeans(n_clusters=k, n_init=4, random_state=0).fit_predict(vectors)
    clusters = sorted((np.flatnonzero(labels == label) for label in np.unique(labels)), key=lambda c: (-len(c), c[0]))
    return [int(members[np.argmax((vectors[members] @ vectors[members].T).sum(1))]) for members in clusters]


def _topic_papers(query: np.ndarray, model_name: str, k: int) -> list[int]:
    """Ids of the papers on one topic: its nearest papers that are near enough (at least k of them)."""
    rows = nearest_papers(vector=query, model_name=model_name, limit=CANDIDATES_PER_TOPIC)
    near = [pid for pid, distance in rows if 1 - distance >= MIN_TOPIC_SIMILARITY]
    return near if len(near) >= k else [pid for pid, _ in rows[:k]]


def onboarding_sample(*, topics: list[str], size: int = SAMPLE_SIZE) -> list[Paper]:
    descriptions = [text for key, _, text in TOPICS if key in topics] or [text for _, _, text in TOPICS]
    model = active_model()
    if model is None:
        return _recent_by_category(size)
    try:
        encoder = encoder_for(model)
    except EncoderUnavailable:
        return _recent_by_category(size)
    # Each topic gets an equal share of the sample (the first ones one more when it does not divide).
    shares = [size // len(descriptions) + (i < size % len(descriptions)) for i in range(len(descriptions))]
    per_topic = []
    for query, share in zip(encoder.encode(descriptions), shares):
        if not share:
            continue
        ids = _topic_papers(query, model.name, share)
        vectors = paper_vectors(paper_ids=ids, model_name=model.name)
        ids = [pid for pid in ids if pid in vectors]
        per_topic.append([ids[i] for i in medoids(np.stack([vectors[pid] for pid in ids]), share)] if ids else [])
    # Topics take turns, so the first papers on the page already span the reader's choices.
    picked = list(dict.fromkeys(pid for turn in zip_longest(*per_topic) for pid in turn if pid is not None))
    if not picked:
        return _recent_by_category(size)
    by_id = Paper.objects.in_bulk(picked)
    return [by_id[pid] for pid in picked[:size]]


def _recent_by_category(size: int) -> list[Paper]:
    """The newest paper of each category first, then the newest of the rest."""
    recent = list(Paper.objects.visible().order_by("-announced", "-id")[: size * 20])
    firsts = list({paper.primary_category: paper for paper in reversed(recent)}.values())[::-1]
    rest = [paper for paper in recent if paper not in firsts]
    return (firsts + rest)[:size]


def topics_from(values: list[str]) -> list[str]:
    return [value for value in values if value in TOPIC_KEYS]


__all__ = ["MIN_RATINGS", "TOPICS", "TOO_FEW_RATINGS", "onboarding_sample", "rated_count", "topics_from"]
