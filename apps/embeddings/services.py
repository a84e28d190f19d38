"""Writes of the vector store: embed what is missing, switch models once a new set is complete."""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.common.generations import SERVING, bump
from apps.common.keys import EMBED_LOCK
from apps.common.locks import single_flight
from apps.embeddings.models import DIMENSIONS, EmbeddingModel, PaperEmbedding
from apps.embeddings.selectors import configured_model, coverage, papers_missing_vectors
from apps.papers.models import Paper
from recsys.encoder import load_encoder, paper_text

logger = logging.getLogger(__name__)

EMBED_ALREADY_RUNNING = "Papers are already being embedded; this run did nothing."
WRONG_DIMENSIONS = "The text model {name} makes {dim}-dimensional vectors; the vector column holds {expected}."


class EmbeddingAlreadyRunning(Exception):
    pass


@dataclass
class EmbedProgress:
    model_name: str
    total: int
    embedded: int = 0
    activated: bool = False

    def summary(self) -> str:
        switched = f"; {self.model_name} now serves search" if self.activated else ""
        return f"{self.embedded} papers embedded with {self.model_name} ({self.total} in the catalogue){switched}"


def target_model() -> EmbeddingModel:
    """The row for the configured model; the very first model serves at once, a later one builds first."""
    name, path = configured_model()
    with transaction.atomic():
        model, created = EmbeddingModel.objects.select_for_update().get_or_create(
            name=name, defaults={"path": str(path), "dimensions": DIMENSIONS}
        )
        if model.status == EmbeddingModel.Status.RETIRED:
            model.status = EmbeddingModel.Status.BUILDING
        if not EmbeddingModel.objects.filter(status=EmbeddingModel.Status.ACTIVE).exists():
            # Nothing older to keep serving: partial results from this model beat none.
            model.status = EmbeddingModel.Status.ACTIVE
            model.activated_at = timezone.now()
        model.path = str(path)
        model.save()
    return model


@transaction.atomic
def activate_model(model: EmbeddingModel) -> None:
    """Serve `model` from now on, and drop the vectors of the one it replaces."""
    retiring = list(
        EmbeddingModel.objects.select_for_update().filter(status=EmbeddingModel.Status.ACTIVE).exclude(pk=model.pk)
    )
    for old in retiring:
        old.status = EmbeddingModel.Status.RETIRED
        old.save(update_fields=["status"])
    model.status = EmbeddingModel.Status.ACTIVE
    model.activated_at = timezone.now()
    model.save(update_fields=["status", "activated_at"])
    PaperEmbedding.objects.filter(model_name__in=[old.name for old in retiring]).delete()
    bump(SERVING)


def _store_vectors(papers: list[Paper], vectors, model_name: str) -> None:
    PaperEmbedding.objects.bulk_create(
        [
            PaperEmbedding(paper=paper, model_name=model_name, paper_version=paper.version, vector=vector)
            for paper, vector in zip(papers, vectors, strict=True)
        ],
        update_conflicts=True,
        unique_fields=["paper", "model_name"],
        update_fields=["paper_version", "vector", "created_at"],
    )
    bump(SERVING)  # papers without a vector rank last until they have one


def embed_papers(
    *,
    batch_size: int | None = None,
    refresh_all: bool = False,
    on_batch: Callable[[EmbedProgress], None] | None = None,
) -> EmbedProgress:
    """Embed every paper that lacks a current vector from the configured model, batch by batch.

    Each batch commits on its own, so an interrupted run keeps its work and a retry resumes where it
    stopped. `refresh_all` re-embeds papers that already have a vector, too. Single-flight: a second
    call while one runs raises EmbeddingAlreadyRunning.
    """
    batch_size = batch_size or settings.RETRIEVER_EMBED_BATCH_SIZE
    with single_flight(EMBED_LOCK, EmbeddingAlreadyRunning(EMBED_ALREADY_RUNNING)):
        return _embed(batch_size=batch_size, refresh_all=refresh_all, on_batch=on_batch)


def _embed(*, batch_size: int, refresh_all: bool, on_batch) -> EmbedProgress:
    model = target_model()
    encoder = load_encoder(model.path, settings.RETRIEVER_EMBED_DEVICE)
    if encoder.dim != DIMENSIONS:
        raise ValueError(WRONG_DIMENSIONS.format(name=model.name, dim=encoder.dim, expected=DIMENSIONS))
    todo = Paper.objects.all() if refresh_all else papers_missing_vectors(model.name)
    progress = EmbedProgress(model_name=model.name, total=todo.count())
    last_id = 0
    # Walking by id keeps each batch query cheap and guarantees progress even if a batch is re-stale.
    while batch := list(
        todo.filter(pk__gt=last_id).order_by("pk").only("id", "version", "title", "abstract")[:batch_size]
    ):
        vectors = encoder.encode([paper_text(p.title, p.abstract) for p in batch], batch_size=batch_size)
        _store_vectors(batch, vectors, model.name)
        last_id = batch[-1].pk
        progress.embedded += len(batch)
        progress.total = max(progress.total, progress.embedded)
        logger.info("Embedded %d/%d papers with %s", progress.embedded, progress.total, model.name)
        if on_batch:
            on_batch(progress)
    model.refresh_from_db()
    done, total = coverage(model.name)
    if model.status == EmbeddingModel.Status.BUILDING and done == total:
        activate_model(model)
        progress.activated = True
    logger.info("Embedding run finished: %s", progress.summary())
    return progress
