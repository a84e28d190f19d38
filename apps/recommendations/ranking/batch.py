"""Ranking many readers at once (a week's newsletters): `rank_for_reader`'s answers, in a few queries.

The same ordered fallback as one reader at a time (two-tower model, content similarity, popularity),
but every reader's history is read in one query, the papers' vectors once, and the batch is scored in
one matrix product against the candidates:

    scores = readers (u, d) @ candidates (n, d).T  ->  (u, n)

(plus, for the two-tower, each reader's neighbours' part of their own candidates' scores, and the new
papers' lift from the reader's text profile). Each reader then keeps their own candidates' columns, in the order and with the reasons the
single-reader path gives (tests/recommendations/test_batch.py holds the two paths to that).
"""

import logging

import numpy as np
from django.db.models import Max

from apps.embeddings.selectors import active_model, paper_vectors
from apps.papers.models import Paper
from apps.recommendations.models import Interaction, ModelVersion, ReaderVector
from apps.recommendations.ranking.base import Ranked
from apps.recommendations.ranking.content import HISTORY, history_matrix, reasons_for
from apps.recommendations.ranking.popular import popularity_ranking
from apps.recommendations.selectors import positive_papers_by_reader

logger = logging.getLogger(__name__)


def rank_for_readers(*, users, paper_ids_by_reader: dict[int, list[int]]) -> dict[int, tuple[list[Ranked], str]]:
    """{reader id: (papers best first with reasons, method)}, as `rank_for_reader` would rank each."""
    results: dict[int, tuple[list[Ranked], str]] = {}
    text_model = active_model()
    if text_model is not None:
        batch = _Batch(users, paper_ids_by_reader, text_model.name)
        for method, rank in (("two_tower", batch.two_tower), ("content", batch.content)):
            waiting = [user for user in users if user.pk not in results]
            try:
                ranked = rank(waiting) if waiting else {}
            except Exception:
                logger.exception("Batch ranking with %s failed; falling back", method)
                continue
            results |= {user_id: (papers, method) for user_id, papers in ranked.items()}
    popular: dict[tuple[int, ...], list[Ranked]] = {}  # readers with the same papers share one query
    for user in users:
        if user.pk not in results:
            key = tuple(paper_ids_by_reader[user.pk])
            if key not in popular:
                popular[key] = popularity_ranking(paper_ids=list(key))
            results[user.pk] = (popular[key], "popularity")
    return results


class _Batch:
    """The batch's shared reads: each reader's positive history, and every paper's text vector."""

    def __init__(self, users, paper_ids_by_reader: dict[int, list[int]], text_model: str):
        self.paper_ids_by_reader = paper_ids_by_reader
        self.text_model = text_model
        self.history = positive_papers_by_reader(user_ids=[user.pk for user in users], limit=HISTORY)
        wanted = {pid for pids in paper_ids_by_reader.values() for pid in pids}
        wanted |= {pid for history in self.history.values() for pid in history}
        self.vectors = paper_vectors(paper_ids=list(wanted), model_name=text_model)
        liked = {pid for history in self.history.values() for pid in history if pid in self.vectors}
        self.titles = dict(Paper.objects.filter(id__in=liked).values_list("id", "title"))

    def _reasons(self, candidates_by_reader: dict[int, list[int]]) -> dict[int, dict[int, str]]:
        """`reasons_for` each reader's candidates, from one product of every candidate against every
        liked paper of the batch: (n candidates, d) @ (sum of the readers' m liked, d).T."""
        rows = {pid: i for i, pid in enumerate(dict.fromkeys(p for ps in candidates_by_reader.values() for p in ps))}
        liked_ids: list[int] = []
        spans = {}
        for user_id, candidates in candidates_by_reader.items():
            liked = [pid for pid in self.history[user_id] if pid in self.vectors]
            if liked and candidates:
                spans[user_id] = (liked, len(liked_ids))
                liked_ids += liked
        if not spans:
            return {}
        similarity = self._matrix(list(rows)) @ self._matrix(liked_ids).T  # (n, sum m)
        reasons = {}
        for user_id, (liked, start) in spans.items():
            candidates = candidates_by_reader[user_id]
            own = similarity[[rows[pid] for pid in candidates], start : start + len(liked)]  # (n_u, m_u)
            reasons[user_id] = reasons_for(candidates, liked, self.history[user_id], own, self.titles)
        return reasons

    def _matrix(self, paper_ids: list[int]) -> np.ndarray:
        return np.stack([self.vectors[pid] for pid in paper_ids])

    def content(self, users) -> dict[int, list[Ranked]]:
        """content_ranking for each reader who has a positive history with vectors."""
        readers, profiles = [], []
        for user in users:
            liked, liked_matrix = history_matrix(self.history[user.pk], self.vectors)
            if liked_matrix is None:
                continue  # no history: popularity
            paper_ids = self.paper_ids_by_reader[user.pk]
            if paper_ids and not any(pid in self.vectors for pid in paper_ids):
                continue  # none of these papers is embedded yet
            profile = liked_matrix.mean(axis=0)
            readers.append(user.pk)
            profiles.append(profile / (np.linalg.norm(profile) or 1.0))
        if not readers:
            return {}
        candidates = {r: [pid for pid in self.paper_ids_by_reader[r] if pid in self.vectors] for r in readers}
        columns = {pid: i for i, pid in enumerate(dict.fromkeys(p for ps in candidates.values() for p in ps))}
        scores = np.stack(profiles) @ self._matrix(list(columns)).T  # (u, n): every reader, every candidate
        reasons = self._reasons(candidates)
        ranked = {}
        for row, user_id in enumerate(readers):
            own = candidates[user_id]
            own_scores = scores[row, [columns[pid] for pid in own]]  # (n_u,)
            order, own_reasons = np.argsort(-own_scores, kind="stable").tolist(), reasons.get(user_id, {})
            own_scores = own_scores.tolist()
            ranked[user_id] = [Ranked(own[i], own_scores[i], own_reasons[own[i]]) for i in order] + [
                Ranked(pid, float("-inf")) for pid in self.paper_ids_by_reader[user_id] if pid not in self.vectors
            ]
        return ranked

    def two_tower(self, users) -> dict[int, list[Ranked]]:
        """two_tower_ranking for each reader with a reader vector under the active model version."""
        version = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
        if version is None:
            return {}
        from apps.recommendations.ranking import two_tower  # torch: only when a model is active

        states = self._reader_states(users, version, two_tower)
        if not states:
            return {}
        checkpoint = two_tower._model(version.pk, version.checkpoint)
        wanted = list(dict.fromkeys(pid for user_id in states for pid in self.paper_ids_by_reader[user_id]))
        items = two_tower.serving_items(version=version, text_model=self.text_model, paper_ids=wanted)
        if not items:
            return {}
        columns = {pid: i for i, pid in enumerate(items)}
        readers = list(states)
        scores = np.stack([states[r].vector for r in readers]) @ np.stack(list(items.values())).T  # (u, n)
        scored_by_reader = {}
        for row, user_id in enumerate(readers):
            paper_ids = self.paper_ids_by_reader[user_id]
            wanted = set(paper_ids)
            own = [pid for pid in items if pid in wanted]
            if paper_ids and not own:
                continue  # none of these papers is embedded yet: content, then popularity
            sparse = two_tower.sparse_scores(checkpoint, states[user_id].history, own)
            liked = {pid: self.vectors[pid] for pid in self.history[user_id] if pid in self.vectors}
            lift = two_tower.new_lift(
                checkpoint, states[user_id].vector, two_tower.reader_profile(liked), own, self.vectors
            )
            own_scores = (scores[row, [columns[pid] for pid in own]] + sparse + lift).tolist()
            scored_by_reader[user_id] = sorted(zip(own_scores, own, strict=True), reverse=True)
        reasons = self._reasons(
            {r: [pid for _, pid in scored if pid in self.vectors] for r, scored in scored_by_reader.items()}
        )
        return {
            user_id: [Ranked(pid, score, reasons.get(user_id, {}).get(pid, "")) for score, pid in scored]
            + [Ranked(pid, float("-inf")) for pid in self.paper_ids_by_reader[user_id] if pid not in items]
            for user_id, scored in scored_by_reader.items()
        }

    def _reader_states(self, users, version: ModelVersion, two_tower) -> dict:
        """{reader id: ReaderState}: cached ones still fresh (in two queries); stale or missing ones made
        one at a time."""
        newest = dict(
            Interaction.objects.filter(user__in=users, kind__in=two_tower.HISTORY_KINDS)
            .values("user_id")
            .annotate(newest=Max("created_at"))
            .values_list("user_id", "newest")
        )
        cached = {
            user_id: (vector, until, rows)
            for user_id, vector, until, rows in ReaderVector.objects.filter(
                user_id__in=list(newest), model_version=version
            ).values_list("user_id", "vector", "history_until", "history_rows")
        }
        states = {}
        for user in users:
            if user.pk not in newest:
                continue  # no history: the model has nothing to say about them
            vector, until, rows = cached.get(user.pk, (None, None, None))
            if until is not None and until >= newest[user.pk] and rows is not None:
                states[user.pk] = two_tower.ReaderState(
                    np.asarray(vector, dtype=np.float32), np.asarray(rows, dtype=np.int64)
                )
                continue
            fresh = two_tower.reader_state(user=user, version=version, text_model=self.text_model)
            if fresh is not None:
                states[user.pk] = fresh
        return states
