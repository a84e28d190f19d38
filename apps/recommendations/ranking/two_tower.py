"""Ranking with the active two-tower model: the reader's vector against the papers' item vectors, plus
the model's item-item neighbours of the reader's library where the checkpoint has them:

    score(reader, paper) = reader_vector . item_vector(paper) + neighbors.scores(library_rows, [paper_row])

(recsys/neighbors.py). The vector is what the user tower made of the reader's latest max_len events
(a mean of positives, `TwoTower.reads_library`: of their library);
library_rows (stored as ReaderVector.history_rows) are the catalogue rows of every paper the reader read
(distinct, the latest LIBRARY_MAX; -1 for papers newer than the model), as the harness scores them and
EASE's x_u holds them. Both are cached together, from the same interactions.
A checkpoint without neighbours (older versions) serves the inner product alone.

A paper the model never saw read (nobody had when it was trained, or it is newer) has neither an id row
nor neighbours; it also gets the lift training chose for such papers (recsys/cold.py), from the cosine of
its text vector to the reader's text profile (the unit mean of their liked or saved papers' vectors, the
content ranking's), so new papers are ranked from their text and shown beside the read ones.
"""

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import torch

from apps.embeddings.models import EmbeddingModel
from apps.embeddings.selectors import active_model, paper_vectors
from apps.recommendations.models import TWO_TOWER_DIM, Interaction, ItemVector, ModelVersion, ReaderVector
from apps.recommendations.ranking.base import Ranked
from apps.recommendations.ranking.content import HISTORY, reasons_from
from apps.recommendations.selectors import positive_papers
from recsys.checkpoint import load_checkpoint
from recsys.cold import NewPapers, is_new, read_rows, text_profile
from recsys.data import EVENT_CODE, POSITIVE_CODES
from recsys.model import History, ItemFeatures, TwoTower
from recsys.neighbors import LIBRARY_MAX, Neighbors

# What the user tower reads; "present" (seminar talks) is an impression it ignores.
HISTORY_KINDS = ["view", "open", "like", "save", "dismiss"]
# What the neighbours read: the papers the reader read, as training counts positives (not dismissed)
LIBRARY_KINDS = [kind for kind in HISTORY_KINDS if EVENT_CODE[kind] in POSITIVE_CODES]


class Checkpoint(NamedTuple):
    model: TwoTower
    index: dict[int, int]  # {paper id: catalogue row}: papers trained on have an id row there
    paper_ids: np.ndarray  # [n_items] the paper at each catalogue row
    neighbors: Neighbors | None  # None: the inner product alone serves
    new_papers: NewPapers  # the lift of papers the model never saw read (NewPapers(): none)
    read: np.ndarray  # [n_items] bool: the catalogue rows read in training

    def is_new(self, paper_ids) -> np.ndarray:
        return is_new(self.read, self.rows(paper_ids))

    def rows(self, paper_ids) -> np.ndarray:
        return np.array([self.index.get(paper_id, -1) for paper_id in paper_ids], dtype=np.int64)


@lru_cache(maxsize=2)
def _model(version_id: int, checkpoint: str) -> Checkpoint:
    model, extra = load_checkpoint(checkpoint)
    paper_ids = extra.get("paper_ids", [])
    return Checkpoint(
        model,
        {paper_id: row for row, paper_id in enumerate(paper_ids)},
        np.asarray(paper_ids, dtype=np.int64),
        Neighbors.from_extra(extra.get("neighbors")),
        NewPapers.from_extra(extra.get("new_papers")),
        read_rows(model),
    )


def item_vectors(model, text_vectors: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """The item tower: text, plus the id row for papers the model was trained with (`rows`, their
    catalogue index; -1 or None: text alone, the path for every paper newer than the model)."""
    text = torch.as_tensor(text_vectors, dtype=torch.float32)
    ids = torch.full((len(text),), -1) if rows is None else torch.as_tensor(rows, dtype=torch.long)
    return column_width(model.item_vectors(ItemFeatures(ids, text)).float().cpu().numpy())


def column_width(vectors: np.ndarray) -> np.ndarray:
    """Vectors [..., d] zero-padded to the columns' TWO_TOWER_DIM: a model trained narrower (an
    older version, a deployment's RETRIEVER_MODEL) serves unchanged, since zeros add nothing to an
    inner product."""
    if vectors.shape[-1] > TWO_TOWER_DIM:
        raise ValueError(f"a {vectors.shape[-1]}-dimensional model is wider than the columns ({TWO_TOWER_DIM})")
    return np.pad(vectors, [(0, 0)] * (vectors.ndim - 1) + [(0, TWO_TOWER_DIM - vectors.shape[-1])])


@dataclass(frozen=True)
class ReaderState:
    vector: np.ndarray  # [TWO_TOWER_DIM] what the user tower made of the history
    history: np.ndarray  # [<= LIBRARY_MAX] int: the library's catalogue rows, oldest first (-1: newer than the model)


def reader_state(*, user, version: ModelVersion, text_model: str) -> ReaderState | None:
    """Cached per reader; recomputed from their history when they have acted since."""
    checkpoint = _model(version.pk, version.checkpoint)
    model, index = checkpoint.model, checkpoint.index
    rows = list(
        Interaction.objects.filter(user=user, kind__in=HISTORY_KINDS)
        .order_by("-created_at")
        .values_list("paper_id", "kind", "created_at")[: model.config.max_len]
    )[::-1]  # oldest first, as the user tower reads them
    if not rows:
        return None
    newest = rows[-1][2]
    cached = (
        ReaderVector.objects.filter(
            user=user, model_version=version, history_until__gte=newest, history_rows__isnull=False
        )
        .values_list("vector", "history_rows")
        .first()
    )
    if cached is not None:
        return ReaderState(np.asarray(cached[0], dtype=np.float32), np.asarray(cached[1], dtype=np.int64))
    library = reader_library(user)
    if model.reads_library:  # a mean of positives reads the whole library, as the harness scores it
        rows = library
    vectors = paper_vectors(paper_ids=[paper_id for paper_id, _, _ in rows], model_name=text_model)
    rows = [row for row in rows if row[0] in vectors]
    if not rows:
        return None
    history_rows = [index.get(paper_id, -1) for paper_id, _, _ in library]
    text = torch.as_tensor(np.stack([vectors[paper_id] for paper_id, _, _ in rows]))
    history = History(
        items=ItemFeatures(torch.tensor([index.get(paper_id, -1) for paper_id, _, _ in rows]), text),
        events=torch.tensor([EVENT_CODE[kind] for _, kind, _ in rows]),
        timestamps=torch.tensor([int(when.timestamp()) for _, _, when in rows]),
    )
    vector = column_width(model.user_vector(history).float().cpu().numpy())
    ReaderVector.objects.update_or_create(
        user=user,
        defaults={"model_version": version, "vector": vector, "history_until": newest, "history_rows": history_rows},
    )
    return ReaderState(vector, np.asarray(history_rows, dtype=np.int64))


def reader_library(user) -> list[tuple[int, str, object]]:
    """(paper id, kind, when) of each paper the reader read, once, at their latest positive event on it:
    the latest LIBRARY_MAX, oldest first (recsys.neighbors.library_histories)."""
    latest = (
        Interaction.objects.filter(user=user, kind__in=LIBRARY_KINDS)
        .order_by("paper_id", "-created_at", "-pk")
        .distinct("paper_id")
        .values_list("paper_id", "kind", "created_at")
    )
    return sorted(latest, key=lambda row: (row[2], row[0]))[-LIBRARY_MAX:]


@dataclass(frozen=True)
class Serving:
    """The active version, the text model under it, its checkpoint and the reader as it sees them."""

    version: ModelVersion
    text_model: EmbeddingModel
    checkpoint: Checkpoint
    reader: ReaderState
    profile: np.ndarray | None = None  # [text dim] the reader's text profile, where the lift needs one

    @property
    def vector(self) -> np.ndarray:
        return self.reader.vector

    def sparse_scores(self, paper_ids) -> np.ndarray:
        """[len(paper_ids)] float32: the neighbours' part of each paper's score (zeros without them)."""
        return sparse_scores(self.checkpoint, self.reader.history, paper_ids)

    def neighbour_scores(self) -> tuple[np.ndarray, np.ndarray]:
        """([m] paper ids, ascending; [m] float32): every paper the history's neighbours raise, and by
        how much (the sparse part of its score; every other paper's is 0)."""
        if self.checkpoint.neighbors is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        rows, scores = self.checkpoint.neighbors.candidate_scores(self.reader.history)
        paper_ids = self.checkpoint.paper_ids[rows]
        order = np.argsort(paper_ids)
        return paper_ids[order], scores[order]

    def new_lift(self, paper_ids, text: dict[int, np.ndarray] | None = None) -> np.ndarray:
        """[len(paper_ids)] float32: the new papers' lift (zeros for the rest); `text`: their text
        vectors where already read, else they are read here."""
        return new_lift(self.checkpoint, self.vector, self.profile, paper_ids, text, self.text_model.name)


def new_lift(
    checkpoint: Checkpoint,
    vector: np.ndarray,
    profile: np.ndarray | None,
    paper_ids,
    text: dict[int, np.ndarray] | None = None,
    text_model: str = "",
) -> np.ndarray:
    """What recsys.cold adds to each paper's score: for the papers the model never saw read that have a
    text vector (in `text`, else read under `text_model`), NewPapers.lift of their cosine to `profile`
    for the reader `vector`; 0 for the rest and without a rule or a profile."""
    out = np.zeros(len(paper_ids), dtype=np.float32)
    if not checkpoint.new_papers or profile is None:
        return out
    new = {paper_ids[i] for i in np.flatnonzero(checkpoint.is_new(paper_ids))}
    if text is None:
        text = paper_vectors(paper_ids=list(new), model_name=text_model) if new else {}
    at = [i for i, paper_id in enumerate(paper_ids) if paper_id in new and paper_id in text]
    if at:
        cosine = np.stack([text[paper_ids[i]] for i in at]) @ profile
        out[at] = checkpoint.new_papers.lift(cosine, float(np.linalg.norm(vector)))
    return out


def reader_profile(liked: dict[int, np.ndarray]) -> np.ndarray | None:
    """`text_profile` of the text vectors of a reader's liked or saved papers; None without any."""
    return text_profile(np.stack(list(liked.values()))) if liked else None


def sparse_scores(checkpoint: Checkpoint, history: np.ndarray, paper_ids) -> np.ndarray:
    if checkpoint.neighbors is None:
        return np.zeros(len(paper_ids), dtype=np.float32)
    return checkpoint.neighbors.scores(history, checkpoint.rows(paper_ids))


def serving_reader(*, user, with_profile: bool = True) -> Serving | None:
    """The active model version, the text model under it and the reader's state; None if any is missing.
    The text profile is read where the lift needs it, unless the caller makes it (`with_profile=False`)."""
    version = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
    text_model = active_model()
    if version is None or text_model is None:
        return None
    reader = reader_state(user=user, version=version, text_model=text_model.name)
    if reader is None:
        return None
    checkpoint, profile = _model(version.pk, version.checkpoint), None
    if checkpoint.new_papers and with_profile:
        liked = list(positive_papers(user=user, limit=HISTORY))
        profile = reader_profile(paper_vectors(paper_ids=liked, model_name=text_model.name) if liked else {})
    return Serving(version, text_model, checkpoint, reader, profile)


def serving_items(
    *, version: ModelVersion, text_model: str, paper_ids, text: dict[int, np.ndarray] | None = None
) -> dict[int, np.ndarray]:
    """{paper id: item vector} for the papers that have one or a text vector to make one from (`text`:
    their text vectors where already read, else read here)."""
    items = dict(
        ItemVector.objects.filter(model_version=version, paper_id__in=paper_ids).values_list("paper_id", "vector")
    )
    missing = [pid for pid in paper_ids if pid not in items]
    if missing:  # papers that arrived after training: the item tower reads their text alone
        if text is None:
            texts = paper_vectors(paper_ids=missing, model_name=text_model)
        else:
            texts = {pid: text[pid] for pid in missing if pid in text}
        if texts:
            new = item_vectors(_model(version.pk, version.checkpoint).model, np.stack(list(texts.values())))
            items.update(zip(texts, new))
    return items


def two_tower_ranking(*, user, paper_ids: list[int]) -> list[Ranked] | None:
    """The papers by the served sum, each with the liked paper closest to it. The reader's liked papers
    and the text vectors of those and of the candidates are read once, for the text profile, the new
    papers' lift, the item tower of papers newer than the model and the reasons alike."""
    if (serving := serving_reader(user=user, with_profile=False)) is None:
        return None
    history = positive_papers(user=user, limit=HISTORY)
    text = paper_vectors(paper_ids=[*history, *paper_ids], model_name=serving.text_model.name)
    if serving.checkpoint.new_papers:
        serving = replace(serving, profile=reader_profile({pid: text[pid] for pid in history if pid in text}))
    items = serving_items(version=serving.version, text_model=serving.text_model.name, paper_ids=paper_ids, text=text)
    if paper_ids and not items:
        return None  # none of these papers is embedded yet: the model has nothing to score
    scored_ids = list(items)
    dense = np.stack([items[pid] for pid in scored_ids]) @ serving.vector if items else np.zeros(0)
    scores = (dense + serving.sparse_scores(scored_ids) + serving.new_lift(scored_ids, text=text)).tolist()
    scored = sorted(zip(scores, scored_ids), reverse=True)
    reasons = reasons_from(history, text, [pid for _, pid in scored])
    ranked = [Ranked(pid, score, reasons.get(pid, "")) for score, pid in scored]
    return ranked + [Ranked(pid, float("-inf")) for pid in paper_ids if pid not in items]
