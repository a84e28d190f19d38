"""Ranking with the active two-tower model: the reader's vector against the papers' item vectors."""

from functools import lru_cache

import numpy as np
import torch

from apps.embeddings.models import EmbeddingModel
from apps.embeddings.selectors import active_model, paper_vectors
from apps.recommendations.models import TWO_TOWER_DIM, Interaction, ItemVector, ModelVersion, ReaderVector
from apps.recommendations.ranking.base import Ranked
from apps.recommendations.ranking.content import closest_liked_reasons
from recsys.checkpoint import load_checkpoint
from recsys.data import EVENT_CODE
from recsys.model import History, ItemFeatures

# What the user tower reads; "present" (seminar talks) is an impression it ignores.
HISTORY_KINDS = ["view", "open", "like", "save", "dismiss"]


@lru_cache(maxsize=2)
def _model(version_id: int, checkpoint: str):
    """The model and its catalogue index {paper id: row}: papers trained on have an id row there."""
    model, extra = load_checkpoint(checkpoint)
    return model, {paper_id: row for row, paper_id in enumerate(extra.get("paper_ids", []))}


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


def reader_vector(*, user, version: ModelVersion, text_model: str) -> np.ndarray | None:
    """Cached per reader; recomputed from their history when they have acted since."""
    model, index = _model(version.pk, version.checkpoint)
    rows = list(
        Interaction.objects.filter(user=user, kind__in=HISTORY_KINDS)
        .order_by("-created_at")
        .values_list("paper_id", "kind", "created_at")[: model.config.max_len]
    )[::-1]  # oldest first, as the user tower reads them
    if not rows:
        return None
    newest = rows[-1][2]
    cached = ReaderVector.objects.filter(user=user, model_version=version, history_until__gte=newest).first()
    if cached is not None:
        return np.asarray(cached.vector, dtype=np.float32)
    vectors = paper_vectors(paper_ids=[paper_id for paper_id, _, _ in rows], model_name=text_model)
    rows = [row for row in rows if row[0] in vectors]
    if not rows:
        return None
    text = torch.as_tensor(np.stack([vectors[paper_id] for paper_id, _, _ in rows]))
    history = History(
        items=ItemFeatures(torch.tensor([index.get(paper_id, -1) for paper_id, _, _ in rows]), text),
        events=torch.tensor([EVENT_CODE[kind] for _, kind, _ in rows]),
        timestamps=torch.tensor([int(when.timestamp()) for _, _, when in rows]),
    )
    vector = column_width(model.user_vector(history).float().cpu().numpy())
    ReaderVector.objects.update_or_create(
        user=user, defaults={"model_version": version, "vector": vector, "history_until": newest}
    )
    return vector


def serving_reader(*, user) -> tuple[ModelVersion, EmbeddingModel, np.ndarray] | None:
    """The active model version, the text model under it and the reader's vector; None if any is missing."""
    version = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
    text_model = active_model()
    if version is None or text_model is None:
        return None
    reader = reader_vector(user=user, version=version, text_model=text_model.name)
    return None if reader is None else (version, text_model, reader)


def serving_items(*, version: ModelVersion, text_model: str, paper_ids) -> dict[int, np.ndarray]:
    """{paper id: item vector} for the papers that have one or a text vector to make one from."""
    items = dict(
        ItemVector.objects.filter(model_version=version, paper_id__in=paper_ids).values_list("paper_id", "vector")
    )
    missing = [pid for pid in paper_ids if pid not in items]
    if missing:  # papers that arrived after training: the item tower reads their text alone
        texts = paper_vectors(paper_ids=missing, model_name=text_model)
        if texts:
            new = item_vectors(_model(version.pk, version.checkpoint)[0], np.stack(list(texts.values())))
            items.update(zip(texts, new))
    return items


def two_tower_ranking(*, user, paper_ids: list[int]) -> list[Ranked] | None:
    if (serving := serving_reader(user=user)) is None:
        return None
    version, text_model, reader = serving
    items = serving_items(version=version, text_model=text_model.name, paper_ids=paper_ids)
    if paper_ids and not items:
        return None  # none of these papers is embedded yet: the model has nothing to score
    scored = sorted(((float(np.dot(reader, items[pid])), pid) for pid in items), reverse=True)
    reasons = closest_liked_reasons(user=user, paper_ids=[pid for _, pid in scored], text_model=text_model.name)
    ranked = [Ranked(pid, score, reasons.get(pid, "")) for score, pid in scored]
    return ranked + [Ranked(pid, float("-inf")) for pid in paper_ids if pid not in items]
