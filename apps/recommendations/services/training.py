"""Training the two-tower retriever on stored interactions, and putting a version into service.

Each run is a ModelVersion: its config, data window, offline metrics from the evaluation harness
(leave-one-out) and a checkpoint. It becomes active only when its recall@20 matches or beats the
active version's; activation writes every paper's item vector to pgvector in the same transaction.
"""

import dataclasses
import datetime as dt
import logging

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.common.generations import SERVING, bump
from apps.common.keys import TRAINING_LOCK
from apps.common.locks import single_flight
from apps.embeddings.models import PaperEmbedding
from apps.embeddings.selectors import active_model
from apps.recommendations.models import Interaction, ItemVector, ModelVersion, ReaderVector
from apps.recommendations.ranking.two_tower import item_vectors
from recsys.app import app_train_config
from recsys.checkpoint import load_checkpoint, save_checkpoint
from recsys.cold import NewPapers
from recsys.data import Interactions, ItemTable
from recsys.evaluate import evaluate
from recsys.neighbors import Neighbors
from recsys.train import TrainConfig, train

logger = logging.getLogger(__name__)

PRIMARY_METRIC = "recall@20"
# evaluated beside each version on the same split, so its page shows what it is up against
# (tfidf_svm needs paper texts, which training does not load)
BASELINES = ("popularity", "content_knn", "user_logreg", "item_knn", "ease")
NO_VECTORS = "No paper vectors yet: embed the catalogue before training."
TOO_LITTLE_DATA = "Too little to learn from: {interactions} interactions from {readers} readers (need {need} and 2)."
ITEM_VECTOR_BATCH = 5000
ALREADY_TRAINING = "The retriever is already being trained; this run did nothing."
STOPPED = "Its training stopped before it finished (the worker was stopped or crashed)."
NOT_ACTIVATABLE = "Model version {pk} is {status}: only a trained version with a checkpoint can serve."
NOTHING_TO_ROLL_BACK_TO = "No earlier version to roll back to."


class TrainingAlreadyRunning(Exception):
    pass


def train_config(overrides: dict | None = None) -> TrainConfig:
    """recsys.app's config (what the harness's `app` method evaluates), with this deployment's
    settings and the run's overrides."""
    return app_train_config(
        model=settings.RETRIEVER_MODEL, **{**settings.RETRIEVER_TRAIN, **(overrides or {}), "progress": False}
    )


def training_data() -> tuple[ItemTable, Interactions, list[int]]:
    """Every embedded paper as an item (its text vector), every interaction as an event."""
    items, paper_ids = item_table()
    events = Interaction.objects.order_by("created_at").values_list("user_id", "paper_id", "created_at", "kind")
    interactions = Interactions.from_rows(
        ((user, paper, int(when.timestamp()), kind) for user, paper, when, kind in events.iterator(chunk_size=20000)),
        items,
    )
    return items, interactions, paper_ids


def item_table() -> tuple[ItemTable, list[int]]:
    """Every embedded paper as an item: its text vector under the active text model."""
    model = active_model()
    if model is None:
        raise ValueError(NO_VECTORS)
    rows = PaperEmbedding.objects.filter(model_name=model.name).order_by("paper_id").values_list("paper_id", "vector")
    paper_ids, vectors = [], []
    for paper_id, vector in rows.iterator(chunk_size=5000):
        paper_ids.append(paper_id)
        vectors.append(np.asarray(vector, dtype=np.float32))
    if not paper_ids:
        raise ValueError(NO_VECTORS)
    return ItemTable(ids=[str(pid) for pid in paper_ids], embeddings=np.stack(vectors)), paper_ids


def model_version_train(*, overrides: dict | None = None) -> ModelVersion:
    with single_flight(TRAINING_LOCK, TrainingAlreadyRunning(ALREADY_TRAINING)):
        # Holding the lock, no other run is alive: a version still "training" lost its process.
        _stopped(ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING))
        return _train(train_config(overrides))


def stopped_versions_fail() -> int:
    """Marks failed the versions left "training" by a run whose process is gone; returns how many.

    A run holds the training lock from before its version exists until its last status is saved, so a
    version still "training" while nobody holds the lock lost its process. The lock is looked at, not
    taken (a look never refuses a run), and only versions seen before the look are touched: a run that
    starts after it makes a version this call never names. For the operations page and a starting worker.
    """
    seen = list(ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING).values_list("pk", flat=True))
    if not seen or training_alive():
        return 0
    return _stopped(ModelVersion.objects.filter(pk__in=seen, status=ModelVersion.Status.TRAINING))


def training_alive() -> bool:
    """Whether any process holds the training lock now (read from pg_locks: a bigint key is split in two)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND (classid::bigint << 32 | objid::bigint) = %s)",
            [TRAINING_LOCK],
        )
        return cursor.fetchone()[0]


def _stopped(versions) -> int:
    return versions.update(status=ModelVersion.Status.FAILED, error=STOPPED, finished_at=timezone.now())


def _train(config: TrainConfig) -> ModelVersion:
    version = ModelVersion.objects.create(config=_plain(config))
    try:
        items, interactions, paper_ids = training_data()
        version.interactions, version.readers = len(interactions), interactions.n_users
        if len(interactions) < settings.RETRIEVER_MIN_INTERACTIONS or interactions.n_users < 2:
            raise ValueError(
                TOO_LITTLE_DATA.format(
                    interactions=len(interactions),
                    readers=interactions.n_users,
                    need=settings.RETRIEVER_MIN_INTERACTIONS,
                )
            )
        if len(interactions):
            version.data_start = _moment(interactions.timestamps.min())
            version.data_end = _moment(interactions.timestamps.max())
        report = evaluate(
            items, interactions, "leave-one-out", ["app", *BASELINES], seeds=1, base=config, log=logger.info, app=config
        )
        version.metrics, version.baselines = evaluation_metrics(report)
        model, history = train(items, interactions, config)
        neighbors = history.pop("neighbors", None)  # arrays: into the checkpoint, not the JSON history
        new_papers = history.pop("new_papers", None)
        version.history = _plain(history.get("history", []))
        path = settings.RETRIEVER_MODEL_DIR / f"model-{version.pk}.pt"
        save_checkpoint(path, model, checkpoint_extra(paper_ids, history, neighbors, new_papers))
        version.checkpoint = str(path)
        version.status = ModelVersion.Status.READY
    except Exception as error:
        logger.exception("Training model version %s failed", version.pk)
        version.status, version.error = ModelVersion.Status.FAILED, str(error)
    version.finished_at = timezone.now()
    version.save()
    if version.status == ModelVersion.Status.READY and beats_active(version):
        model_version_activate(version=version, model=model, items=items, paper_ids=paper_ids)
    return version


def checkpoint_extra(
    paper_ids: list[int], history: dict, neighbors: Neighbors | None, new_papers: NewPapers | None = None
) -> dict:
    """What serving reads beside the weights: the catalogue (row -> paper id) and, when training made
    them, the item-item neighbours over those rows and the new papers' lift (recsys/cold.py). Kept in
    the file, loaded once per process, rather than in a table: a reader's neighbour candidates are then
    an array lookup, and only they (a few thousand ids at most) go to PostgreSQL, with the window and
    dismissals (ranking/archive.py)."""
    extra = {"paper_ids": paper_ids, "history": _plain(history)}
    if neighbors is not None:
        extra["neighbors"] = neighbors.to_extra()
    if new_papers:
        extra["new_papers"] = dataclasses.asdict(new_papers)
    return extra


def evaluation_metrics(report: dict) -> tuple[dict, dict]:
    """The version's metrics ({"recall@20": mean, ...}) and the baselines' on the same split
    ({"ease": {"recall@20": mean, ...}, ...}): ModelVersion.metrics and .baselines."""
    by_method: dict[str, dict] = {}
    for row in report["results"]:
        by_method.setdefault(row["method"], {})[row["metric"]] = row["mean"]
    return by_method.pop("app"), by_method


def beats_active(version: ModelVersion) -> bool:
    active = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
    return active is None or version.metrics.get(PRIMARY_METRIC, 0) >= active.metrics.get(PRIMARY_METRIC, 0)


@transaction.atomic
def model_version_activate(
    *, version: ModelVersion, model, items: ItemTable, paper_ids: list[int], trained_ids: list[int] | None = None
) -> None:
    """Item vectors for the whole catalogue, then the switch; readers' cached vectors start over."""
    ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).update(status=ModelVersion.Status.RETIRED)
    ItemVector.objects.exclude(model_version=version).delete()
    ReaderVector.objects.all().delete()
    # a paper's id row is its place in the catalogue the model was trained on (trained_ids; None:
    # this catalogue); papers newer than the model have none and are scored from their text
    row = {pid: i for i, pid in enumerate(paper_ids if trained_ids is None else trained_ids)}
    vectors = item_vectors(model, items.embeddings, np.array([row.get(pid, -1) for pid in paper_ids]))
    for start in range(0, len(paper_ids), ITEM_VECTOR_BATCH):
        ItemVector.objects.bulk_create(
            ItemVector(model_version=version, paper_id=pid, vector=vec)
            for pid, vec in zip(
                paper_ids[start : start + ITEM_VECTOR_BATCH], vectors[start : start + ITEM_VECTOR_BATCH]
            )
        )
    version.status, version.activated_at = ModelVersion.Status.ACTIVE, timezone.now()
    version.save(update_fields=["status", "activated_at"])
    bump(SERVING)


def model_version_serve(*, version: ModelVersion) -> ModelVersion:
    """Put a trained version into service from its checkpoint: "activate this version", "roll back".

    Raises ValueError (the message is for the editor) when it has no usable checkpoint, and
    TrainingAlreadyRunning while a training run holds the lock (it may activate its own version).
    """
    with single_flight(TRAINING_LOCK, TrainingAlreadyRunning(ALREADY_TRAINING)):
        version.refresh_from_db()
        usable = {ModelVersion.Status.READY, ModelVersion.Status.RETIRED, ModelVersion.Status.ACTIVE}
        if version.status not in usable or not version.checkpoint:
            raise ValueError(NOT_ACTIVATABLE.format(pk=version.pk, status=version.get_status_display()))
        if version.status == ModelVersion.Status.ACTIVE:
            return version
        model, extra = load_checkpoint(version.checkpoint)
        items, paper_ids = item_table()
        with transaction.atomic():
            # A retired version's item vectors predate today's catalogue: all of them are made anew.
            ItemVector.objects.filter(model_version=version).delete()
            model_version_activate(
                version=version, model=model, items=items, paper_ids=paper_ids, trained_ids=extra.get("paper_ids", [])
            )
        return version


def rollback_target() -> ModelVersion | None:
    """The version that served before the active one (the most recently activated retired one)."""
    return (
        ModelVersion.objects.filter(status=ModelVersion.Status.RETIRED, activated_at__isnull=False)
        .exclude(checkpoint="")
        .order_by("-activated_at")
        .first()
    )


def item_vectors_fill() -> int:
    """Item vectors of the active version for papers embedded since it was trained; returns how many.

    The "For you" page finds papers through the item vectors' HNSW index, so a paper without one would
    never be ranked there (a week's digest scores such papers on the fly).
    """
    version = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
    text_model = active_model()
    if version is None or text_model is None:
        return 0
    model, _ = load_checkpoint(version.checkpoint)
    have = ItemVector.objects.filter(model_version=version).values("paper_id")
    missing = PaperEmbedding.objects.filter(model_name=text_model.name).exclude(paper_id__in=have)
    filled = 0
    while rows := list(missing.order_by("paper_id").values_list("paper_id", "vector")[:ITEM_VECTOR_BATCH]):
        vectors = item_vectors(model, np.stack([np.asarray(vector, dtype=np.float32) for _, vector in rows]))
        ItemVector.objects.bulk_create(
            [ItemVector(model_version=version, paper_id=pid, vector=vec) for (pid, _), vec in zip(rows, vectors)],
            ignore_conflicts=True,
        )
        filled += len(rows)
    return filled


def _moment(seconds) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(seconds), tz=dt.UTC)


def _plain(value):
    """JSON-safe copy of configs and training histories (dataclasses, numpy numbers)."""
    if dataclasses.is_dataclass(value):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.generic,)):
        return value.item()
    return value
