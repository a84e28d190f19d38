"""Cold start: a new reader picks topics, then rates a small, diverse sample of real papers.

The sample is spread over the embedding space (Scholar Inbox style): candidates near each chosen topic,
then greedy farthest-point selection so no two shown papers say the same thing. Without vectors yet,
recent papers from as many categories as possible stand in.
"""
import numpy as np

from apps.embeddings.selectors import active_model, encoder_for, nearest_papers, paper_vectors
from apps.papers.models import Paper
from apps.recommendations.models import Interaction

MIN_RATINGS = 5
SAMPLE_SIZE = 12
CANDIDATES_PER_TOPIC = 40
TOO_FEW_RATINGS = f"Rate at least {MIN_RATINGS} papers so your first digest can be personal."

# (key, label, what it is about: the text embedded to find candidates)
TOPICS = [
    ("sequential", "Sequential & session-based recommendation", "sequential recommendation next-item prediction session-based transformers"),
    ("ctr", "CTR prediction & ranking models", "click-through rate prediction ranking model feature interactions advertising"),
    ("llm", "LLMs for recommendation", "large language models for recommendation generative recommender"),
    ("retrieval", "Retrieval, RAG & dense search", "dense retrieval retrieval-augmented generation embeddings search"),
    ("graph", "Graph-based recommendation", "graph neural networks collaborative filtering user-item graph"),
    ("evaluation", "Evaluation, metrics & reproducibility", "evaluation of recommender systems offline metrics reproducibility benchmarks"),
    ("fairness", "Fairness, bias & popularity", "fairness popularity bias exposure debiasing recommendation"),
    ("conversational", "Conversational & interactive", "conversational recommender system dialogue user preference elicitation"),
    ("multimodal", "Multimodal & content-based", "multimodal recommendation images text content features"),
    ("efficiency", "Efficiency & systems", "efficient serving training large-scale recommendation systems embedding compression"),
]
TOPIC_KEYS = {key for key, _, _ in TOPICS}


def rated_count(*, user) -> int:
    return Interaction.objects.filter(
        user=user, source=Interaction.Source.ONBOARDING, kind__in=Interaction.STATES
    ).count()


def farthest_point_order(vectors: np.ndarray, size: int) -> list[int]:
    """Indices of `size` rows, each as far (in cosine) as possible from those already picked."""
    chosen = [0]
    nearest = vectors @ vectors[0]  # (n,) similarity to the closest chosen row so far
    while len(chosen) < min(size, len(vectors)):
        candidate = int(np.argmin(nearest))
        chosen.append(candidate)
        nearest = np.maximum(nearest, vectors @ vectors[candidate])
    return chosen


def onboarding_sample(*, topics: list[str], size: int = SAMPLE_SIZE) -> list[Paper]:
    descriptions = [text for key, _, text in TOPICS if key in topics] or [text for _, _, text in TOPICS]
    model = active_model()
    if model is None:
        return _recent_by_category(size)
    encoder = encoder_for(model)
    pool: list[int] = []
    for query in encoder.encode(descriptions):
        pool += [pid for pid, _ in nearest_papers(vector=query, model_name=model.name, limit=CANDIDATES_PER_TOPIC)]
    pool = list(dict.fromkeys(pool))
    vectors = paper_vectors(paper_ids=pool, model_name=model.name)
    pool = [pid for pid in pool if pid in vectors]
    if not pool:
        return _recent_by_category(size)
    picked = [pool[i] for i in farthest_point_order(np.stack([vectors[pid] for pid in pool]), size)]
    by_id = Paper.objects.in_bulk(picked)
    return [by_id[pid] for pid in picked]


def _recent_by_category(size: int) -> list[Paper]:
    """The newest paper of each category first, then the newest of the rest."""
    recent = list(Paper.objects.visible().order_by("-announced", "-id")[: size * 20])
    firsts = list({paper.primary_category: paper for paper in reversed(recent)}.values())[::-1]
    rest = [paper for paper in recent if paper not in firsts]
    return (firsts + rest)[:size]


def topics_from(values: list[str]) -> list[str]:
    return [value for value in values if value in TOPIC_KEYS]


__all__ = ["MIN_RATINGS", "TOPICS", "TOO_FEW_RATINGS", "onboarding_sample", "rated_count", "topics_from"]
